// The report form an owner fills in each cycle: a pure function from plain data to a card
// JSON 2.0 object. Field names and button values come from card-actions.ts, the contract with
// the callback side, which re-renders this same card with what the user typed and why it was
// refused (`typed`, `errors`).
//
// Card JSON 2.0 rules this follows (docs/feishu.md §3): shared cards only (update_multi: true);
// ≤ 200 components and ≤ 30 KB per card; a form sits at the root, holds no table/chart/form,
// needs a unique `name` on every interactive child and one submit button. 2.0 rejects unknown
// properties, so only documented ones are used.
import type { Stage } from '../db/schema.js';
import { PROBLEM_CATEGORIES, STAGES, type CycleKind } from '../domain/vocabulary.js';
import { completionRate, type Light } from '../domain/schedule-lag.js';
import { formatPercent, formatWan } from '../domain/amount.js';
import { periodLabel } from '../domain/period.js';
import { formatLocalTime, kindLabel } from './format.js';
import { NO, REPORT_FIELDS, REPORT_FORM_NAME, REPORT_TEXT_LIMITS, YES, type CardActionName, type CardActionValue } from './card-actions.js';
import type { Card } from '../platform/feishu/lark-client.js';
import { callbackButton, escapeMarkdown, lightLine, markdown, noticeElement, plain, plainDiv, type CardNotice } from './elements.js';

export type ReportFieldName = (typeof REPORT_FIELDS)[keyof typeof REPORT_FIELDS];

export type ReportCardCycle = { id: number; kind: CycleKind; periodKey: string; dueAt: Date };

/**
 * What the form's submit button comes back as: 'report.submit' for the cycle's own cards;
 * 'draft.confirm' for a form pre-filled from a chat message, so the report is attributed to the
 * chat (reports.via = 'chat'). Both carry the same form and target.
 */
export type ReportSubmitAction = Extract<CardActionName, 'report.submit' | 'draft.confirm'>;

export type ReportFormCardInput = {
  cycle: ReportCardCycle;
  /** The dispatch office's zone (DISPATCH_TZ); times are shown in it. */
  tz: string;
  project: {
    id: number;
    code: string;
    name: string;
    stage: Stage;
    started: boolean;
    completed: boolean;
    registered: boolean;
    /** 年度计划投资, 万元 (exact decimal string). */
    annualPlan: string;
  };
  /** The project's light as schedule-lag.light() judged it. */
  light: { light: Light; reasons: string[] };
  /**
   * Year-to-date completed investment for the period's year before this period, 万元: what the
   * period's amount will be added to (the cadence's chain, submission/ytd-basis.ts); null when
   * nothing is known yet.
   */
  ytd: { year: number; investment: string | null };
  /**
   * The latest report due before this cycle, of any kind — the state "本期无变化" carries over:
   * it pre-fills stage, flags and progress.
   */
  latest: null | {
    kind: CycleKind;
    periodKey: string;
    stage: Stage;
    started: boolean;
    completed: boolean;
    registered: boolean;
    progress: string;
  };
  /**
   * The previous report in this cycle's chain (same kind, same year): its period investment is
   * shown as 上期, never pre-filled.
   */
  previousSameKind: null | { periodKey: string; periodInvestment: string };
  /** Departments an owner can ask for help; a select when there are few enough, else free text. */
  departments: { id: number; name: string }[];
  notice?: CardNotice;
  /** What the user typed last time, when the card is shown again after a refused submission. */
  typed?: Partial<Record<ReportFieldName, string>>;
  /** Per-field messages (Chinese) shown under the field; `form` for the whole form. */
  errors?: Partial<Record<ReportFieldName | 'form', string>>;
  /** Defaults to 'report.submit'. */
  submitAction?: ReportSubmitAction;
};

/** Past this many departments the select becomes a text input (options would crowd the card). */
export const MAX_DEPARTMENT_OPTIONS = 60;
const SUBMIT_BUTTON_NAME = 'report_submit';

const HEADER_TEMPLATE: Record<Light, string> = { red: 'red', yellow: 'yellow', green: 'green', none: 'blue' };

/** "是" / "否" for a yes/no fact. */
const yn = (v: boolean): string => (v ? '是' : '否');

function option(text: string, value: string) {
  return { text: plain(text), value };
}

/**
 * The neutral choice of the problem selects (category, department), listed first and selected
 * unless the owner picked something else: Feishu offers no way to clear a select, so without it
 * a category or department picked by mistake could never be taken back, and the form would be
 * refused for a problem without a description. The parser (submission/report-form.ts) reads
 * this value as "no problem" / "no department".
 */
export const NONE = 'none';
const NONE_OPTION = option('无', NONE);

// ---- the report form --------------------------------------------------------------------------

export function buildReportFormCard(input: ReportFormCardInput): Card {
  const { project, cycle } = input;
  const action = { projectId: project.id, cycleId: cycle.id };
  const year = Number(cycle.periodKey.slice(0, 4));
  const due = formatLocalTime(cycle.dueAt, input.tz, year);
  const notice = input.notice ?? (hasErrors(input) ? { level: 'error' as const, text: input.errors?.form ?? '提交未成功，请按提示修改后重新提交' } : undefined);

  const elements: unknown[] = [];
  if (notice) elements.push(noticeElement(notice));
  elements.push(markdown(`**${lightLine(input.light)}**`));
  elements.push(...lastFigures(input));
  elements.push({ tag: 'hr' });
  elements.push(reportForm(input, action));
  // A confirm dialog only fires on a button that submits a form (2.0 button reference), and this
  // one-tap button is outside the form, so what it files is said next to it instead.
  elements.push(markdown("<font color='grey'>本期确无进展时可点“本期无变化”：沿用上次填报的阶段与形象进度，本期完成投资记为 0 万元；提交后可在回执卡片上点“修改”更正。</font>"));
  elements.push(callbackButton('本期无变化', { a: 'report.no_change', ...action }, { name: 'report_no_change' }));
  elements.push(markdown(`<font color='grey'>截止时间：${due}。逾期仍可补报，将记为迟报。</font>`));

  return {
    schema: '2.0',
    config: { update_multi: true },
    header: {
      title: plain(`${noticeTitlePrefix(notice)}${project.name}`),
      subtitle: plain(`${project.code} · ${kindLabel(cycle.kind)} ${periodLabel(cycle.kind, cycle.periodKey)} · 截止 ${due}`),
      template: notice?.level === 'final' ? 'red' : notice?.level === 'reminder' ? 'orange' : HEADER_TEMPLATE[input.light.light],
    },
    body: { elements },
  };
}

function noticeTitlePrefix(notice: CardNotice | undefined): string {
  if (notice?.level === 'reminder') return '【催报】';
  if (notice?.level === 'final') return '【截止提醒】';
  return '';
}

function hasErrors(input: ReportFormCardInput): boolean {
  return Object.values(input.errors ?? {}).some((m) => m !== undefined && m !== '');
}

/** The figures of the last report: what the owner reported before and how the year stands. */
function lastFigures(input: ReportFormCardInput): unknown[] {
  const { project, latest, previousSameKind, ytd } = input;
  const lines: string[] = [];
  if (previousSameKind) {
    lines.push(`上期（${periodLabel(input.cycle.kind, previousSameKind.periodKey)}）完成投资：${formatWan(previousSameKind.periodInvestment)} 万元`);
  }
  const plan = formatWan(project.annualPlan);
  if (ytd.investment === null) {
    lines.push(`${ytd.year}年累计完成投资：暂无 / 年度计划 ${plan} 万元`);
  } else {
    const rate = completionRate(ytd.investment, project.annualPlan);
    lines.push(`${ytd.year}年累计完成投资：${formatWan(ytd.investment)} / 年度计划 ${plan} 万元${rate ? `（${formatPercent(rate)}）` : ''}`);
  }
  const state = latest ?? project;
  lines.push(`项目阶段：${state.stage} ｜ 开工：${yn(state.started)} ｜ 竣工：${yn(state.completed)} ｜ 入统：${yn(state.registered)}`);
  const heading = latest
    ? `**上次填报**（${kindLabel(latest.kind)} ${periodLabel(latest.kind, latest.periodKey)}）`
    : '**上次填报**：暂无，以下为项目库登记信息';
  const out: unknown[] = [markdown([heading, ...lines].join('\n'))];
  if (latest?.progress) out.push(plainDiv(`形象进度：${latest.progress}`, { text_color: 'grey' }));
  return out;
}

function reportForm(input: ReportFormCardInput, action: { projectId: number; cycleId: number }) {
  const { typed = {}, errors = {}, latest, project, previousSameKind } = input;
  const f = REPORT_FIELDS;
  const state = latest ?? project;
  const pick = (name: ReportFieldName, fallback: string): string => typed[name] ?? fallback;
  // A problem select left empty or set to 无 shows 无 again.
  const pickProblem = (name: ReportFieldName): string => {
    const v = typed[name];
    return v === undefined || v === '' || v === '无' ? NONE : v;
  };
  const fieldError = (name: ReportFieldName): unknown[] =>
    errors[name] ? [markdown(`<font color='red'>⚠ ${escapeMarkdown(errors[name])}</font>`)] : [];
  const label = (text: string) => markdown(text);
  const yesNo = (name: ReportFieldName, title: string, current: boolean) => [
    label(`**${title}**`),
    select(name, [option('是', YES), option('否', NO)], pick(name, current ? YES : NO), `请选择是否${title}`, true),
    ...fieldError(name),
  ];

  const investmentHint = previousSameKind ? `上期 ${formatWan(previousSameKind.periodInvestment)} 万元；` : '';
  const departments = input.departments;
  const departmentField =
    departments.length > 0 && departments.length <= MAX_DEPARTMENT_OPTIONS
      ? select(f.problemDepartment, [NONE_OPTION, ...departments.map((d) => option(d.name, String(d.id)))], pickProblem(f.problemDepartment), '请选择需协调的责任单位', false)
      : textInput(f.problemDepartment, typed[f.problemDepartment] ?? '', '需协调的责任单位，如 市自然资源局', { max_length: 50 });

  return {
    tag: 'form',
    name: REPORT_FORM_NAME,
    elements: [
      // Investment is a flow, not a state: pre-filling last period's figure would let an owner
      // who submits without looking report the same money twice, and it would add to the year's
      // total. It stays empty, last period's figure in the placeholder, and "本期无变化" is the
      // explicit way to say "nothing this period". Stage, flags and progress are states that
      // carry over, so they are pre-filled.
      textInput(f.periodInvestment, typed[f.periodInvestment] ?? '', `${investmentHint}如 500、500万、3.21亿`, {
        label: plain('本期完成投资（万元）'),
        label_position: 'top',
        required: true,
        max_length: 30,
      }),
      ...fieldError(f.periodInvestment),
      label('**项目阶段**'),
      select(f.stage, STAGES.map((s) => option(s, s)), pick(f.stage, state.stage), '请选择项目阶段', true),
      ...fieldError(f.stage),
      textInput(f.stageReason, typed[f.stageReason] ?? '', '阶段有变化时请说明原因，如 已取得施工许可', { max_length: REPORT_TEXT_LIMITS.stageReason }),
      ...fieldError(f.stageReason),
      ...yesNo(f.started, '开工', state.started),
      ...yesNo(f.completed, '竣工', state.completed),
      ...yesNo(f.registered, '入统', state.registered),
      textInput(f.progress, pick(f.progress, latest?.progress ?? ''), '本期形象进度，如 主体结构施工至第5层', {
        label: plain('形象进度'),
        label_position: 'top',
        input_type: 'multiline_text',
        rows: 3,
        auto_resize: true,
        max_rows: 8,
        max_length: REPORT_TEXT_LIMITS.progress,
      }),
      ...fieldError(f.progress),
      markdown('**存在问题**（没有可不填）'),
      select(f.problemCategory, [NONE_OPTION, ...PROBLEM_CATEGORIES.map((c) => option(c, c))], pickProblem(f.problemCategory), '问题类别', false),
      ...fieldError(f.problemCategory),
      textInput(f.problemDescription, typed[f.problemDescription] ?? '', '问题描述：卡在哪个环节、需要谁解决什么', {
        input_type: 'multiline_text',
        rows: 2,
        auto_resize: true,
        max_rows: 6,
        max_length: REPORT_TEXT_LIMITS.problemDescription,
      }),
      ...fieldError(f.problemDescription),
      departmentField,
      ...fieldError(f.problemDepartment),
      select(f.problemNeedsCity, [option('需要市级协调', YES), option('不需要市级协调', NO)], typed[f.problemNeedsCity], '是否需要市级协调', false),
      ...fieldError(f.problemNeedsCity),
      {
        tag: 'button',
        name: SUBMIT_BUTTON_NAME,
        text: plain('提交'),
        type: 'primary_filled',
        form_action_type: 'submit',
        behaviors: [{ type: 'callback', value: { a: input.submitAction ?? 'report.submit', ...action } satisfies CardActionValue }],
      },
    ],
  };
}

function textInput(name: ReportFieldName, value: string, placeholder: string, extra: Record<string, unknown> = {}) {
  // A refused form shows what was typed; the client never sends more than max_length, but a text
  // that arrives longer anyway (a broken client, a chat draft) is cut there, or the card could
  // pass Feishu's 30 KB and the owner would see an error instead of the form and its reasons.
  const max = typeof extra.max_length === 'number' ? extra.max_length : undefined;
  const shown = max !== undefined && [...value].length > max ? [...value].slice(0, max).join('') : value;
  return {
    tag: 'input',
    name,
    placeholder: plain(placeholder),
    ...(shown !== '' ? { default_value: shown } : {}),
    ...extra,
  };
}

function select(name: ReportFieldName, options: { text: unknown; value: string }[], initial: string | undefined, placeholder: string, required: boolean) {
  // initial_index (1-based) names the option unambiguously; initial_option is documented as the
  // option's content, which is not its value (feishu-facts, "select_static pre-fill").
  const index = initial === undefined ? -1 : options.findIndex((o) => o.value === initial);
  return {
    tag: 'select_static',
    name,
    placeholder: plain(placeholder),
    options,
    ...(index >= 0 ? { initial_index: index + 1 } : {}),
    ...(required ? { required: true } : {}),
  };
}
