// What the import tells the person at the terminal, in Chinese. Pure: outcome → lines.
// Problems go to stderr one per line in the fixed `row N, column 列名: …` form.
import { changeCount, type ImportOutcome, type ImportSummary, type ProjectRef } from './registry-import.js';
import { formatContactChange } from './department-contacts.js';
import { describeRoles, type MatchOutcome, type UnmatchedPerson } from './people-matcher.js';
import { formatIssue } from './sheet-issue.js';
import type { YtdYearSource } from './ytd-column.js';

export type ReportLines = { out: string[]; err: string[] };

function listed<T>(items: T[], limit: number, line: (item: T) => string[]): string[] {
  const out = items.slice(0, limit).flatMap(line);
  if (items.length > limit) out.push(`  …… 另有 ${items.length - limit} 个未列出`);
  return out;
}

const ref = (p: ProjectRef): string => `  ${p.code} ${p.name}`;

// Which year the figures went to is stated every time: a wrong year would quietly become the
// base of that year's first report.
const YTD_SOURCE: Record<YtdYearSource, string> = {
  header: '（表头注明）',
  option: '（按 --year 指定）',
  default: '（表头未注明年份；如不是该年度，请用 --year 指定）',
};

export function formatImportOutcome(outcome: ImportOutcome, opts: { limit?: number } = {}): ReportLines {
  const limit = opts.limit ?? 50;
  const source = `${outcome.fileName}${outcome.sheetName ? `（工作表 ${outcome.sheetName}）` : ''}`;
  if (!outcome.ok) {
    return {
      out: outcome.warnings.map((w) => `注意：${w}`),
      err: [`${source} 有 ${outcome.issues.length} 处问题，未导入任何数据，请修改后重新导入：`, ...outcome.issues.map(formatIssue)],
    };
  }
  return { out: formatSummary(outcome, source, limit), err: [] };
}

function formatSummary(s: ImportSummary, source: string, limit: number): string[] {
  const lines: string[] = [];
  const encoding = s.encoding === 'gbk' ? '，GBK 编码' : s.encoding === 'utf8' ? '，UTF-8 编码' : '';
  lines.push(`${s.dryRun ? '【试运行】' : ''}读取 ${source}${encoding}：${s.rowCount} 个项目`);
  for (const w of s.warnings) lines.push(`注意：${w}`);
  const verb = s.dryRun ? '将' : '已';
  lines.push(`${verb}新增 ${s.created.length} 个，${verb}更新 ${s.updated.length} 个，未变化 ${s.unchanged} 个，${verb}停用 ${s.retired.length} 个`);
  const extras: string[] = [];
  if (s.regionsCreated.length) extras.push(`新增地区 ${s.regionsCreated.length} 个（${s.regionsCreated.join('、')}）`);
  if (s.departmentsCreated.length) extras.push(`新增责任单位 ${s.departmentsCreated.length} 个`);
  if (s.peopleCreated) extras.push(`新增人员 ${s.peopleCreated} 人`);
  if (s.peopleUpdated.length) extras.push(`人员信息变更 ${s.peopleUpdated.length} 人`);
  if (s.contactsChanged.length) extras.push(`责任单位联系人变更 ${s.contactsChanged.length} 个`);
  if (extras.length) lines.push(extras.join('，'));
  if (s.ytd) lines.push(`年度累计完成投资（列“${s.ytd.column}”）计入 ${s.ytd.year} 年${YTD_SOURCE[s.ytd.source]}`);
  if (changeCount(s) === 0) lines.push('没有任何变化（0 处变更）');
  if (s.created.length) lines.push(`${verb}新增项目：`, ...listed(s.created, limit, (p) => [ref(p)]));
  if (s.updated.length) {
    lines.push(`${verb}更新项目：`, ...listed(s.updated, limit, (p) => [ref(p), ...p.changes.map((c) => `    ${c.field}：${c.from} → ${c.to}`)]));
  }
  if (s.retired.length) lines.push(`${verb}停用项目（不在本次清单中）：`, ...listed(s.retired, limit, (p) => [ref(p)]));
  if (s.peopleUpdated.length) {
    lines.push(`${verb}变更人员信息：`, ...listed(s.peopleUpdated, limit, (p) => p.changes.map((c) => `  ${p.mobile ?? ''} ${c.field}：${c.from} → ${c.to}`)));
  }
  const [firstContact] = s.contactsChanged;
  if (firstContact) {
    // Departments keep no change history: who made the change is stated here (and logged).
    lines.push(`${verb}设置责任单位联系人（操作人 ${firstContact.changedBy}）：`, ...listed(s.contactsChanged, limit, (c) => [`  ${formatContactChange(c)}`]));
  }
  if (s.dryRun) lines.push('【试运行】以上为将要发生的变化，数据库未作任何修改');
  else if (s.importId !== null) lines.push(`导入记录编号 ${s.importId}`);
  if (!s.dryRun) lines.push(...formatMatchOutcome(s.matching, limit, true));
  return lines;
}

export function formatUnmatched(people: UnmatchedPerson[], limit: number): string[] {
  return listed(people, limit, (p) => {
    const why = p.status === 'conflict' ? '，该飞书账号已关联其他人员' : '';
    return [`  ${p.name} ${p.mobile ?? p.email ?? '（无手机号）'}${why} — ${describeRoles(p)}`];
  });
}

export function formatMatchOutcome(m: MatchOutcome, limit = 50, afterImport = false): string[] {
  if (m.status === 'skipped') return [`飞书用户匹配：${m.reason}`];
  if (m.status === 'failed') {
    return [
      `飞书用户匹配失败：${m.error}`,
      afterImport ? '项目和人员已导入，未受影响；请稍后运行 npm run cli -- people sync 重新匹配' : '请稍后重试 npm run cli -- people sync',
    ];
  }
  const lines = [`飞书用户匹配：查询 ${m.attempted} 人，匹配成功 ${m.matched} 人，未匹配 ${m.unmatched.length} 人`];
  if (m.unmatched.length) {
    lines.push(
      `以下人员在飞书通讯录中未找到（${afterImport ? '其项目已照常导入' : '其项目不受影响'}；请确认手机号或为其开通飞书后运行 people sync）：`,
      ...formatUnmatched(m.unmatched, limit),
    );
  }
  return lines;
}
