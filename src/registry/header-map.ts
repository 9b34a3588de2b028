// Which sheet column holds which registry field. The reference sheet's headers
// (/work/shared/fixtures/projects-sample.csv) are the canonical names; offices also type
// synonyms, full-width brackets, line breaks inside a header, "2026年计划投资", units in
// brackets (万元/亿元/元), title rows above the header and two-row headers under a merged
// group cell ("投资（万元）" over 总投资 | 年度计划). All of that is resolved here, purely.
import { cellText, type Cell, type MoneyUnit } from './cell-parsers.js';
import type { SheetIssue } from './sheet-issue.js';
import { isAmbiguousYtdHeader, parseYtdHeader, type YtdHeader } from './ytd-column.js';

export type FieldKey =
  | 'code' | 'name' | 'legalEntity' | 'location' | 'region' | 'industry' | 'stage' | 'lists'
  | 'frequency' | 'totalInvestment' | 'annualPlan' | 'ytdInvestment' | 'sinceStartInvestment' | 'investorType' | 'plannedStart' | 'plannedFinish'
  | 'ownerName' | 'ownerMobile' | 'ownerEmail'
  | 'leaderName' | 'leaderMobile' | 'leaderEmail'
  | 'viceMayorName' | 'viceMayorMobile' | 'viceMayorEmail'
  | 'department'
  | 'contactName' | 'contactMobile' | 'contactEmail';

export type FieldSpec = { key: FieldKey; label: string; required: boolean; money: boolean; synonyms: string[] };

/** The three people columns of a project and the words offices use for each role. */
export const PERSON_ROLES = [
  { role: 'owner', label: '项目负责人', mobileLabel: '负责人手机', emailLabel: '负责人邮箱', name: 'ownerName', mobile: 'ownerMobile', email: 'ownerEmail', words: ['项目负责人', '负责人', '填报人', '项目联系人', '联系人'] },
  { role: 'leader', label: '包保领导', mobileLabel: '包保领导手机', emailLabel: '包保领导邮箱', name: 'leaderName', mobile: 'leaderMobile', email: 'leaderEmail', words: ['包保领导', '包保市领导', '包保责任领导', '责任领导', '挂钩领导', '联系领导'] },
  { role: 'viceMayor', label: '分管副市长', mobileLabel: '分管副市长手机', emailLabel: '分管副市长邮箱', name: 'viceMayorName', mobile: 'viceMayorMobile', email: 'viceMayorEmail', words: ['分管副市长', '分管市领导', '分管领导', '牵头市领导'] },
] as const;
export type PersonRole = (typeof PERSON_ROLES)[number]['role'];

/**
 * The responsible department's contact (责任单位联系人): a person per department, not per
 * project, who receives the problems raised against that department. Kept apart from
 * PERSON_ROLES because it sets departments.contact_person_id, not a project column.
 */
export const DEPARTMENT_CONTACT = {
  label: '责任单位联系人', mobileLabel: '责任单位联系人手机', emailLabel: '责任单位联系人邮箱',
  name: 'contactName', mobile: 'contactMobile', email: 'contactEmail',
  words: ['责任单位联系人', '单位联系人', '责任单位联络员', '单位联络员', '责任部门联系人', '牵头单位联系人'],
} as const;

/** The name/mobile/e-mail columns of one kind of person, project role or department contact. */
export type PersonColumns = Pick<typeof PERSON_ROLES[number] | typeof DEPARTMENT_CONTACT, 'label' | 'mobileLabel' | 'emailLabel' | 'name' | 'mobile' | 'email'>;

const MOBILE_SUFFIXES = ['手机', '手机号', '手机号码', '电话', '联系电话', '联系方式', '移动电话'];
const EMAIL_SUFFIXES = ['邮箱', '电子邮箱', '邮件', 'email', 'e-mail'];

function personSynonyms(words: readonly string[], suffixes: string[], canonical: string): string[] {
  return [canonical, ...words.flatMap((w) => suffixes.map((s) => w + s))];
}

export const FIELDS: readonly FieldSpec[] = [
  { key: 'code', label: '项目编号', required: true, money: false, synonyms: ['项目编号', '项目编码', '项目代码', '编号', '项目代码编号', '统一项目代码', '项目id'] },
  { key: 'name', label: '项目名称', required: true, money: false, synonyms: ['项目名称', '名称', '项目'] },
  { key: 'legalEntity', label: '项目法人', required: false, money: false, synonyms: ['项目法人', '建设单位', '项目单位', '业主单位', '项目业主', '项目法人单位', '实施单位', '建设主体'] },
  { key: 'location', label: '建设地点', required: false, money: false, synonyms: ['建设地点', '项目地点', '建设地址', '项目地址', '建设位置'] },
  { key: 'region', label: '所属地区', required: true, money: false, synonyms: ['所属地区', '所在地区', '县市区', '县(市、区)', '县(市,区)', '县区', '地区', '所属县市区', '所在县市区', '属地', '区域', '所属区域'] },
  { key: 'industry', label: '行业类别', required: false, money: false, synonyms: ['行业类别', '行业', '所属行业', '产业类别', '行业分类', '项目类别', '项目类型'] },
  { key: 'stage', label: '项目阶段', required: true, money: false, synonyms: ['项目阶段', '阶段', '建设阶段', '建设性质', '项目进展阶段'] },
  { key: 'lists', label: '所属清单', required: false, money: false, synonyms: ['所属清单', '清单', '清单类别', '项目清单', '清单类型', '所属清单类别'] },
  { key: 'frequency', label: '调度频次', required: false, money: false, synonyms: ['调度频次', '调度频率', '频次', '调度方式'] },
  { key: 'totalInvestment', label: '总投资', required: true, money: true, synonyms: ['总投资', '计划总投资', '项目总投资', '总投资额', '估算总投资'] },
  { key: 'annualPlan', label: '年度计划投资', required: false, money: true, synonyms: ['年度计划投资', '年度计划', '计划投资', '年计划投资', '本年计划投资', '当年计划投资', '年度投资计划', '本年度计划投资', '年度计划完成投资', '计划完成投资'] },
  // Matched by pattern too (parseYtdHeader): "1-10月完成投资", "2026年累计完成投资" and the like.
  { key: 'ytdInvestment', label: '年度累计完成投资', required: false, money: true, synonyms: ['年度累计完成投资', '本年累计完成投资', '今年累计完成投资', '年初至今完成投资', '截至上月累计完成投资'] },
  // The project's whole cumulative since it started, against 总投资 (league/since-start.ts).
  { key: 'sinceStartInvestment', label: '开工以来累计完成投资', required: false, money: true, synonyms: ['开工以来累计完成投资', '开工以来累计投资', '开工累计完成投资', '自开工以来累计完成投资', '开工至今累计完成投资', '项目累计完成投资', '建设以来累计完成投资'] },
  { key: 'investorType', label: '投资主体', required: false, money: false, synonyms: ['投资主体', '投资类型', '投资性质', '投资主体类型'] },
  { key: 'plannedStart', label: '计划开工日期', required: false, money: false, synonyms: ['计划开工日期', '计划开工时间', '开工日期', '开工时间', '计划开工'] },
  { key: 'plannedFinish', label: '计划竣工日期', required: false, money: false, synonyms: ['计划竣工日期', '计划竣工时间', '竣工日期', '竣工时间', '计划竣工', '计划完工日期', '计划完工时间', '完工时间'] },
  ...PERSON_ROLES.flatMap((r): FieldSpec[] => [
    { key: r.name, label: r.label, required: false, money: false, synonyms: [...r.words, ...r.words.map((w) => `${w}姓名`)] },
    { key: r.mobile, label: r.mobileLabel, required: false, money: false, synonyms: personSynonyms(r.words, MOBILE_SUFFIXES, r.mobileLabel) },
    { key: r.email, label: r.emailLabel, required: false, money: false, synonyms: personSynonyms(r.words, EMAIL_SUFFIXES, r.emailLabel) },
  ]),
  { key: 'department', label: '责任单位', required: false, money: false, synonyms: ['责任单位', '责任部门', '牵头单位', '主管部门', '行业主管部门', '牵头部门', '主责单位'] },
  { key: 'contactName', label: DEPARTMENT_CONTACT.label, required: false, money: false, synonyms: [...DEPARTMENT_CONTACT.words, ...DEPARTMENT_CONTACT.words.map((w) => `${w}姓名`)] },
  {
    key: 'contactMobile', label: DEPARTMENT_CONTACT.mobileLabel, required: false, money: false,
    // "责任单位联系电话" is how some offices head the contact's phone without repeating 联系人.
    synonyms: [...personSynonyms(DEPARTMENT_CONTACT.words, MOBILE_SUFFIXES, DEPARTMENT_CONTACT.mobileLabel), '责任单位联系电话'],
  },
  { key: 'contactEmail', label: DEPARTMENT_CONTACT.emailLabel, required: false, money: false, synonyms: personSynonyms(DEPARTMENT_CONTACT.words, EMAIL_SUFFIXES, DEPARTMENT_CONTACT.emailLabel) },
];

/** Columns offices keep for themselves that carry no registry data; ignored without a warning. */
const QUIETLY_IGNORED = new Set(['序号', '编号序号', '备注', '说明']);

const BY_SYNONYM = new Map<string, FieldKey>();
for (const f of FIELDS) for (const s of f.synonyms) BY_SYNONYM.set(s.toLowerCase(), f.key);

export const FIELD_BY_KEY = new Map<FieldKey, FieldSpec>(FIELDS.map((f) => [f.key, f]));

export type NormalizedHeader = { base: string; unit: MoneyUnit | null };

const isSynonym = (text: string): boolean => BY_SYNONYM.has(text.toLowerCase());
// A year-to-date header keeps its year and months: they say which year the figures belong to.
const isKnown = (text: string): boolean => isSynonym(text) || parseYtdHeader(text) !== null;

/**
 * "总投资（亿元）" → {base: 总投资, unit: 亿元}; "2026年计划投资" → {base: 计划投资};
 * "项目名称*" → {base: 项目名称}. Full-width forms fold via NFKC; spaces and line breaks drop.
 * A year-to-date header keeps its year ("2026年1-10月完成投资（亿元）" → base 2026年1-10月完成投资).
 */
export function normalizeHeader(raw: string): NormalizedHeader {
  const s = raw.normalize('NFKC').replace(/[【〔［]/g, '(').replace(/[】〕］]/g, ')').replace(/\s+/g, '')
    .replace(/[*]/g, '').replace(/[:：]$/, '');
  if (isSynonym(s)) return { base: s, unit: null };
  const unitMatch = /\((?:单位[:：]?)?(亿元|万元|元)\)|\/(亿元|万元|元)$|\(?单位[:：]?(亿元|万元|元)\)?/.exec(s);
  let unit = (unitMatch?.[1] ?? unitMatch?.[2] ?? unitMatch?.[3] ?? null) as MoneyUnit | null;
  // Whatever else sits in trailing brackets ("(必填)", "(YYYY-MM-DD)") is a note, not the name.
  let base = (unitMatch ? s.replace(unitMatch[0], '') : s).replace(/(?:\([^)]*\))+$/, '');
  if (!isKnown(base)) {
    const yearless = base.replace(/^(?:\d{4}|本|今|当)年度?(?=.)/, '');
    if (isSynonym(yearless)) base = yearless;
  }
  // "总投资万元" without brackets, a habit of some statistics systems' exports.
  const glued = /^(.+?)(亿元|万元)$/.exec(base);
  if (!unit && !isKnown(base) && glued?.[1] && isKnown(glued[1])) {
    base = glued[1];
    unit = glued[2] as MoneyUnit;
  }
  return { base, unit };
}

export type HeaderMatch =
  | { kind: 'field'; key: FieldKey; unit: MoneyUnit | null; ytd?: YtdHeader }
  | { kind: 'ignored' }
  | { kind: 'unknown' };

export function matchHeader(raw: string): HeaderMatch {
  const { base, unit } = normalizeHeader(raw);
  if (base === '') return { kind: 'unknown' };
  const key = BY_SYNONYM.get(base.toLowerCase());
  const ytd = parseYtdHeader(base);
  if (key === 'ytdInvestment' || (!key && ytd)) {
    return { kind: 'field', key: 'ytdInvestment', unit, ytd: ytd ?? { year: null, throughMonth: null, lastMonth: false } };
  }
  if (key) return { kind: 'field', key, unit };
  if (QUIETLY_IGNORED.has(base)) return { kind: 'ignored' };
  return { kind: 'unknown' };
}

export type MappedColumn = {
  index: number;
  header: string;
  unit: MoneyUnit;
  /** Only on the year-to-date column: the year and months its header names. */
  ytd?: YtdHeader;
};
export type ColumnMap = {
  /** Row number of the (last) header row; data starts below it. */
  headerRow: number;
  fields: Partial<Record<FieldKey, MappedColumn>>;
  /** Headers as typed, by column index, for messages about any column. */
  headers: string[];
};

export type HeaderResult =
  | { ok: true; columns: ColumnMap; dataStartIndex: number; warnings: string[] }
  | { ok: false; issues: SheetIssue[]; warnings: string[] };

type Row = { rowNumber: number; cells: Cell[] };

const SCAN_ROWS = 20;

function recognisedCount(row: Row): number {
  return row.cells.filter((c) => matchHeader(cellText(c)).kind === 'field').length;
}

/** "单位：亿元" in a title line above the table sets the unit of money columns without their own. */
function unitFromTitleRows(rows: Row[]): MoneyUnit | null {
  for (const row of rows) {
    for (const c of row.cells) {
      const m = /单位[:：]\s*(亿元|万元|元)/.exec(cellText(c).normalize('NFKC'));
      if (m?.[1]) return m[1] as MoneyUnit;
    }
  }
  return null;
}

/**
 * Finds the header among the first rows (the one naming the most known fields), joins a
 * second header row when one sits under a merged group cell, and maps every column.
 */
export function mapHeaders(rows: Row[]): HeaderResult {
  const warnings: string[] = [];
  let best = -1;
  let bestCount = 0;
  for (let i = 0; i < Math.min(rows.length, SCAN_ROWS); i++) {
    const row = rows[i];
    if (!row) continue;
    const n = recognisedCount(row);
    if (n > bestCount) {
      best = i;
      bestCount = n;
    }
  }
  const headerRow = rows[best];
  if (!headerRow || bestCount < 2) {
    return {
      ok: false,
      warnings,
      issues: [{ row: rows[0]?.rowNumber ?? 1, column: '表头', message: `找不到表头：前 ${SCAN_ROWS} 行中没有一行包含“项目编号”“项目名称”等列名` }],
    };
  }
  const defaultUnit = unitFromTitleRows(rows.slice(0, best)) ?? '万元';
  const textOf = (row: Row | undefined, i: number): string => (row ? cellText(row.cells[i] ?? null) : '');
  const isField = (text: string): boolean => text !== '' && matchHeader(text).kind === 'field';
  // Two-row headers: field names sit under group cells ("投资（亿元）" over 总投资 | 年度计划).
  // Either the best row is the lower half (group row above it), or it is the upper half and
  // the row below names fields where it has only group titles.
  const next = rows[best + 1];
  const nextWidth = Math.max(headerRow.cells.length, next?.cells.length ?? 0);
  const namesBelow = Array.from({ length: nextWidth }, (_, i) => i).some((i) => isField(textOf(next, i)) && !isField(textOf(headerRow, i)));
  const lowerIndex = namesBelow ? best + 1 : best;
  const lowerRow = rows[lowerIndex];
  const upperRow = lowerIndex > 0 ? rows[lowerIndex - 1] : undefined;
  const width = Math.max(lowerRow.cells.length, upperRow?.cells.length ?? 0);

  const fields: Partial<Record<FieldKey, MappedColumn>> = {};
  const headers: string[] = [];
  const unknown: string[] = [];
  const ambiguous: string[] = [];
  for (let i = 0; i < width; i++) {
    const lower = textOf(lowerRow, i);
    const upper = textOf(upperRow, i);
    // A vertically merged header cell (项目名称 over both rows) reads the same in both.
    const fromUpper = lower === '' && isField(upper);
    const header = fromUpper ? upper : lower;
    headers[i] = header || `第${i + 1}列`;
    const match = matchHeader(header);
    if (match.kind === 'ignored') continue;
    if (match.kind === 'unknown') {
      if (header !== '' && isAmbiguousYtdHeader(normalizeHeader(header).base)) ambiguous.push(header);
      else if (header !== '') unknown.push(header);
      continue;
    }
    const groupUnit = !fromUpper && upper !== lower && !isField(upper) ? normalizeHeader(upper).unit : null;
    const unit = match.unit ?? groupUnit ?? defaultUnit;
    const existing = fields[match.key];
    if (existing) {
      warnings.push(`列“${header}”与列“${existing.header}”都对应“${FIELD_BY_KEY.get(match.key)?.label ?? match.key}”，已使用前者“${existing.header}”，忽略“${header}”`);
      continue;
    }
    fields[match.key] = match.ytd ? { index: i, header, unit, ytd: match.ytd } : { index: i, header, unit };
  }
  if (unknown.length > 0) warnings.push(`以下列无法识别，已忽略：${unknown.join('、')}`);
  for (const header of ambiguous) {
    warnings.push(`列“${header}”未注明是本年度累计还是开工以来累计，已忽略；如为本年度累计完成投资，请将表头改为“本年累计完成投资”或“1-10月完成投资”等`);
  }

  const lastHeader = lowerRow;
  const issues: SheetIssue[] = [];
  for (const f of FIELDS) {
    if (f.required && !fields[f.key]) {
      issues.push({ row: lastHeader.rowNumber, column: f.label, message: `缺少必填列“${f.label}”（也可写作：${f.synonyms.slice(1, 4).join('、')}）` });
    }
  }
  for (const r of PERSON_ROLES) {
    const hasContact = fields[r.mobile] ?? fields[r.email];
    if (hasContact && !fields[r.name]) {
      issues.push({ row: lastHeader.rowNumber, column: r.label, message: `缺少“${r.label}”姓名列（表中有“${hasContact.header}”列）` });
    }
    if (fields[r.name] && !hasContact) {
      warnings.push(`没有“${r.label}”的手机号列，${r.label}无法关联飞书用户，已忽略“${fields[r.name]?.header ?? r.label}”列`);
      delete fields[r.name];
    }
  }
  issues.push(...contactColumnIssues(fields, lastHeader.rowNumber));
  if (issues.length > 0) return { ok: false, issues, warnings };
  return {
    ok: true,
    columns: { headerRow: lastHeader.rowNumber, fields, headers },
    dataStartIndex: lowerIndex + 1,
    warnings,
  };
}

/**
 * The contact columns only make sense together: the contact receives problems through Feishu,
 * found by mobile, so a name column without a phone column cannot be used; and a contact
 * belongs to the row's 责任单位, so that column must be there too.
 */
function contactColumnIssues(fields: Partial<Record<FieldKey, MappedColumn>>, row: number): SheetIssue[] {
  const c = DEPARTMENT_CONTACT;
  const name = fields[c.name];
  const contact = fields[c.mobile] ?? fields[c.email];
  const any = name ?? contact;
  if (!any) return [];
  const issues: SheetIssue[] = [];
  if (!name && contact) issues.push({ row, column: c.label, message: `缺少“${c.label}”姓名列（表中有“${contact.header}”列）` });
  if (name && !fields[c.mobile]) {
    issues.push({ row, column: c.mobileLabel, message: `缺少“${c.mobileLabel}”列（表中有“${name.header}”列）；${c.label}凭手机号关联飞书账号接收问题，不能只填姓名` });
  }
  if (!fields.department) issues.push({ row, column: '责任单位', message: `缺少“责任单位”列：表中有“${any.header}”列，但没有它所属的责任单位` });
  return issues;
}
