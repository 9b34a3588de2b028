// Reading and validating the report form (填报卡片). Pure: the caller loads the basis from the
// database and stores the result; this module only decides, and words the refusals the owner
// sees under each field. Every refusal names the field it belongs to, so the form card can be
// re-rendered with the owner's own input and the message in place.
import { z } from 'zod';
import { NO, REPORT_FIELDS, REPORT_TEXT_LIMITS, YES } from '../cards/card-actions.js';
import { Dec, formatWan, parseAmountWan } from '../domain/amount.js';
import { PROBLEM_CATEGORIES, STAGES, type ProblemCategory, type Stage } from '../db/schema.js';
import { deriveYtd } from '../domain/ytd.js';
import { hasLoneSurrogate, loneSurrogateMessage } from '../domain/text-input.js';

export type ReportField = (typeof REPORT_FIELDS)[keyof typeof REPORT_FIELDS];
/** What the owner typed, as strings keyed by form field name; re-rendered verbatim on refusal. */
export type TypedForm = Partial<Record<ReportField, string>>;
export type FieldErrors = Partial<Record<ReportField, string>>;

export const MAX_PROGRESS_CHARS = REPORT_TEXT_LIMITS.progress;
export const MAX_REASON_CHARS = REPORT_TEXT_LIMITS.stageReason;
export const MAX_PROBLEM_CHARS = REPORT_TEXT_LIMITS.problemDescription;

const FIELD_NAMES = Object.values(REPORT_FIELDS) as ReportField[];

/** How the form names each field, for a refusal the toast shows away from the field. */
const FIELD_LABELS: Record<ReportField, string> = {
  period_investment: '本期完成投资',
  stage: '项目阶段',
  started: '是否开工',
  completed: '是否竣工',
  registered: '是否入统',
  progress: '形象进度',
  stage_reason: '变更原因',
  problem_category: '问题类别',
  problem_desc: '问题描述',
  problem_dept: '责任单位',
  problem_city: '是否需要市级协调',
};
/** Select values meaning "no problem" (an empty select, or an explicit 无 option). */
const NO_CATEGORY = new Set(['', 'none', '无']);

/** C0 controls other than tab, line feed and carriage return, and DEL. */
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

const formValueSchema = z.record(z.string(), z.unknown());

/**
 * Feishu's form_value: inputs arrive as strings, selects as the option's value, multi-selects as
 * arrays (docs/feishu.md §2). Anything else is dropped; unknown names are ignored.
 */
export function readTypedForm(formValue: unknown): TypedForm {
  const parsed = formValueSchema.safeParse(formValue ?? {});
  const raw = parsed.success ? parsed.data : {};
  const out: TypedForm = {};
  for (const name of FIELD_NAMES) {
    const v = raw[name];
    const first = Array.isArray(v) ? (v[0] as unknown) : v;
    if (typeof first === 'string' || typeof first === 'number') out[name] = String(first).trim();
  }
  return out;
}

export type FilingBasis = {
  /** The project as it stood before this period, to tell a correction from a step backwards. */
  stage: Stage;
  started: boolean;
  completed: boolean;
  registered: boolean;
  /** 总投资, 万元. 0 means unknown and is not checked against. */
  totalInvestment: string;
  /** The cumulative this period's amount is added to (see ytd.ts). */
  ytdBase: string;
  /** The nearest later report of the same cadence and year: set only when correcting an older period. */
  later: { label: string; ytd: string } | null;
  /** This cycle's stored amount when the submission is a correction. */
  existingPeriodInvestment: string | null;
};

export type ProblemInput = {
  category: ProblemCategory;
  description: string;
  /** The department as typed; matched to the departments table when stored. */
  department: string | null;
  needsCityCoordination: boolean;
};

export type ValidReport = {
  periodInvestment: string;
  ytd: string;
  stage: Stage;
  started: boolean;
  completed: boolean;
  registered: boolean;
  progress: string;
  stageReason: string | null;
  problem: ProblemInput | null;
};

export type FormCheck = { ok: true; report: ValidReport } | { ok: false; errors: FieldErrors };

const F = REPORT_FIELDS;
const wan = (v: string) => `${formatWan(v)} 万元`;

export function validateReportForm(typed: TypedForm, basis: FilingBasis): FormCheck {
  const errors: FieldErrors = {};
  const reason = typed[F.stageReason] ?? '';

  const periodInvestment = checkAmount(typed[F.periodInvestment], errors);
  let ytd = basis.ytdBase;
  if (periodInvestment !== null) {
    ytd = deriveYtd(basis.ytdBase, periodInvestment);
    const total = new Dec(basis.totalInvestment);
    if (total.gt(0) && new Dec(ytd).gt(total)) {
      errors[F.periodInvestment] =
        `按本期 ${wan(periodInvestment)}计算，年度累计将达 ${wan(ytd)}，超过项目总投资 ${wan(basis.totalInvestment)}，请核对金额和单位（默认单位为万元）`;
    } else if (basis.later && basis.existingPeriodInvestment !== null && !new Dec(periodInvestment).eq(basis.existingPeriodInvestment)) {
      // A later period already carried this period's cumulative forward. Changing this amount
      // without rewriting the later reports would make the year-to-date run backwards (raised)
      // or leave later cumulatives holding money nobody reported (lowered); both are refused.
      errors[F.periodInvestment] =
        `${basis.later.label}已在本期年度累计的基础上继续填报（累计 ${wan(basis.later.ytd)}），再改本期完成投资会使年度累计倒退、前后对不上；如需调整，请在最近一期中更正，或联系项目中心`;
    }
  }

  const stage = checkStage(typed[F.stage], basis.stage, reason, errors);
  const started = checkFlag(typed, F.started, basis.started, '已开工', reason, errors);
  const completed = checkFlag(typed, F.completed, basis.completed, '已竣工', reason, errors);
  const registered = checkFlag(typed, F.registered, basis.registered, '已入统', reason, errors);
  if (completed && !started && !errors[F.started]) errors[F.started] = '已竣工的项目应已开工，请核对“是否开工”';

  const progress = typed[F.progress] ?? '';
  if ([...progress].length > MAX_PROGRESS_CHARS) errors[F.progress] = `形象进度最多 ${MAX_PROGRESS_CHARS} 字，当前 ${[...progress].length} 字`;
  if ([...reason].length > MAX_REASON_CHARS) errors[F.stageReason] ??= `变更原因最多 ${MAX_REASON_CHARS} 字`;

  const problem = checkProblem(typed, errors);

  // PostgreSQL text cannot hold NUL, and other C0 controls are never typed on purpose: say so
  // under the field instead of failing the whole save with a database error.
  for (const name of FIELD_NAMES) {
    if (CONTROL_CHARS.test(typed[name] ?? '')) errors[name] = '内容含有不可见的控制字符（可能是复制粘贴带入的），请删除后重新填写';
    if (hasLoneSurrogate(typed[name] ?? '')) errors[name] = loneSurrogateMessage(FIELD_LABELS[name]);
  }

  if (Object.keys(errors).length > 0 || periodInvestment === null) return { ok: false, errors };
  return {
    ok: true,
    report: { periodInvestment, ytd, stage, started, completed, registered, progress, stageReason: reason || null, problem },
  };
}

function checkAmount(input: string | undefined, errors: FieldErrors): string | null {
  if (!input) {
    errors[F.periodInvestment] = '请填写本期完成投资（单位万元），本期没有投资请填 0';
    return null;
  }
  // Negatives are parsed so the owner gets the field's own reason, not the parser's generic one.
  const parsed = parseAmountWan(input, { allowNegative: true });
  if (!parsed.ok) {
    errors[F.periodInvestment] = parsed.reason;
    return null;
  }
  if (new Dec(parsed.value).isNegative()) {
    errors[F.periodInvestment] = '本期完成投资不能为负数；如需冲减以前多报的数字，请联系项目中心更正';
    return null;
  }
  return parsed.value;
}

function checkStage(input: string | undefined, before: Stage, reason: string, errors: FieldErrors): Stage {
  if (!input) return before;
  if (!(STAGES as readonly string[]).includes(input)) {
    errors[F.stage] = '请从列表中选择项目阶段';
    return before;
  }
  const stage = input as Stage;
  if (STAGES.indexOf(stage) < STAGES.indexOf(before) && !reason) {
    errors[F.stageReason] = `项目阶段由“${before}”改为“${stage}”属于倒退，请填写变更原因`;
  }
  return stage;
}

function checkFlag(typed: TypedForm, field: ReportField, before: boolean, label: string, reason: string, errors: FieldErrors): boolean {
  const input = typed[field];
  if (!input) return before;
  if (input !== YES && input !== NO) {
    errors[field] = '请选择“是”或“否”';
    return before;
  }
  const value = input === YES;
  if (before && !value && !reason) errors[field] = `项目已登记为${label}，改为“否”请在变更原因中说明`;
  return value;
}

function checkProblem(typed: TypedForm, errors: FieldErrors): ProblemInput | null {
  const categoryInput = typed[F.problemCategory] ?? '';
  const description = typed[F.problemDescription] ?? '';
  // The department select's 无 option (value 'none') means no department, like an empty one.
  const departmentInput = typed[F.problemDepartment] ?? '';
  const department = NO_CATEGORY.has(departmentInput) ? '' : departmentInput;
  const cityInput = typed[F.problemNeedsCity] ?? '';
  const hasCategory = !NO_CATEGORY.has(categoryInput);

  if (cityInput && cityInput !== YES && cityInput !== NO) errors[F.problemNeedsCity] = '请选择“是”或“否”';
  const needsCity = cityInput === YES;

  if (hasCategory && !(PROBLEM_CATEGORIES as readonly string[]).includes(categoryInput)) {
    errors[F.problemCategory] = '请从列表中选择问题类别';
    return null;
  }
  if (hasCategory && !description) {
    errors[F.problemDescription] = `选择了问题类别“${categoryInput}”，请填写问题描述`;
    return null;
  }
  if (!hasCategory && description) {
    errors[F.problemCategory] = '填写了问题描述，请选择问题类别';
    return null;
  }
  if (!hasCategory) {
    if (department || needsCity) errors[F.problemCategory] = '填写了协调部门或需市级协调，请同时选择问题类别并填写问题描述';
    return null;
  }
  if ([...description].length > MAX_PROBLEM_CHARS) {
    errors[F.problemDescription] = `问题描述最多 ${MAX_PROBLEM_CHARS} 字`;
    return null;
  }
  return { category: categoryInput as ProblemCategory, description, department: department || null, needsCityCoordination: needsCity };
}
