// Shared by the registry tests: the reference sheet, ways to edit it and save it in other
// forms, and views of the database to compare imports by.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as XLSX from '@e965/xlsx';
import { sql } from 'kysely';
import type { AppContext } from '../../src/platform/app-context.js';
import type { CliCommand } from '../../src/cli/command.js';
import type { Db } from '../../src/db/database.js';
import { createLogger } from '../../src/logger.js';
import { importRegistry, type ImportOptions, type ImportOutcome, type ImportSummary, type RegistryDeps } from '../../src/registry/registry-import.js';
import { csvRecords, sourceFromBytes } from '../../src/registry/sheet-reader.js';

export const FIXTURE_PATH = fileURLToPath(new URL('../fixtures/registry/projects-sample.csv', import.meta.url));
export const FIXTURE_CSV = readFileSync(FIXTURE_PATH, 'utf8');

/** The reference sheet plus 责任单位联系人 / 责任单位联系人手机 for every department. */
export const CONTACTS_FIXTURE_PATH = fileURLToPath(new URL('../fixtures/registry/projects-with-contacts.csv', import.meta.url));
export const CONTACTS_CSV = readFileSync(CONTACTS_FIXTURE_PATH, 'utf8');

const toGrid = (csv: string): string[][] => csvRecords(csv).map((r) => r.cells.map((c) => (c === null ? '' : String(c))));

/** The fixture as a grid of strings, header first. */
export function fixtureGrid(): string[][] {
  return toGrid(FIXTURE_CSV);
}

export function contactsGrid(): string[][] {
  return toGrid(CONTACTS_CSV);
}

/** Runs the command a command line names (longest name first), collecting what it prints. */
export async function runCommand(
  commands: CliCommand[],
  ctx: AppContext,
  line: string[],
): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const sorted = [...commands].sort((a, b) => b.name.split(' ').length - a.name.split(' ').length);
  const command = sorted.find((c) => c.name.split(' ').every((w, i) => line[i] === w));
  if (!command) throw new Error(`no command for ${line.join(' ')}`);
  const code = await command.run(line.slice(command.name.split(' ').length), ctx, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n').split('\n'), err: err.join('\n').split('\n') };
}

function csvField(v: string): string {
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function gridToCsv(grid: string[][]): string {
  return grid.map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}

/** Sets one cell of the fixture, by project code and header. */
export function editCell(grid: string[][], code: string, header: string, value: string): string[][] {
  const col = grid[0]?.indexOf(header) ?? -1;
  if (col < 0) throw new Error(`no column ${header}`);
  const row = grid.find((r) => r[0] === code);
  if (!row) throw new Error(`no project ${code}`);
  row[col] = value;
  return grid;
}

/**
 * What Excel keeps when the CSV is opened and saved as .xlsx: figures and phone numbers
 * become numbers, dates become date cells; codes and text stay text.
 */
export function typedCell(value: string): string | number | Date | null {
  if (value === '') return null;
  const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (date) {
    const d = new Date(Number(date[1]), Number(date[2]) - 1, Number(date[3]));
    // Excel keeps an impossible date such as 2026-02-30 as the text typed.
    return d.getDate() === Number(date[3]) ? d : value;
  }
  if (/^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  return value;
}

export function gridToXlsx(grid: (string | number | Date | null)[][], opts: { sheetName?: string; merges?: XLSX.Range[]; extraSheets?: string[] } = {}): Buffer {
  const ws = XLSX.utils.aoa_to_sheet(grid, { cellDates: true });
  if (opts.merges) ws['!merges'] = opts.merges;
  const wb = XLSX.utils.book_new();
  for (const name of opts.extraSheets ?? []) XLSX.utils.book_append_sheet(wb, XLSX.utils.aoa_to_sheet([['说明'], ['本表仅供参考']]), name);
  XLSX.utils.book_append_sheet(wb, ws, opts.sheetName ?? '在建项目清单');
  return XLSX.write(wb, { type: 'buffer', bookType: 'xlsx' }) as Buffer;
}

export function fixtureXlsx(): Buffer {
  return gridToXlsx(fixtureGrid().map((r, i) => (i === 0 ? r : r.map(typedCell))));
}

export const silentLogger = createLogger('silent');

export function deps(db: Db, extra: Partial<RegistryDeps> = {}): RegistryDeps {
  return { db, logger: silentLogger, now: () => new Date('2026-11-20T02:00:00Z'), ...extra };
}

export async function runImport(
  d: RegistryDeps,
  fileName: string,
  content: string | Buffer,
  opts: Partial<Omit<ImportOptions, 'file'>> = {},
): Promise<ImportOutcome> {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  return importRegistry(d, { actor: 'tester', ...opts, file: sourceFromBytes(fileName, bytes) });
}

export function expectOk(outcome: ImportOutcome): ImportSummary {
  if (!outcome.ok) throw new Error(`import refused:\n${outcome.issues.map((i) => `row ${i.row}, column ${i.column}: ${i.message}`).join('\n')}`);
  return outcome;
}

/** Projects with every reference resolved to names and phone numbers: comparable across databases. */
export async function normalizedRegistry(db: Db): Promise<unknown[]> {
  const r = await sql`
    select p.code, p.name, p.legal_entity, p.location, r.name as region, r.kind as region_kind, p.industry, p.stage,
      p.lists, p.dispatch_frequency, p.total_investment::text, p.annual_plan::text, p.investor_type,
      p.planned_start::text, p.planned_finish::text, p.active,
      o.name as owner, o.mobile as owner_mobile, l.name as leader, l.mobile as leader_mobile,
      v.name as vice_mayor, v.mobile as vice_mayor_mobile, d.name as department
    from projects p join regions r on r.id = p.region_id
      left join people o on o.id = p.owner_id left join people l on l.id = p.leader_id
      left join people v on v.id = p.vice_mayor_id left join departments d on d.id = p.department_id
    order by p.code`.execute(db);
  return r.rows;
}

const TABLES = ['regions', 'people', 'departments', 'imports', 'projects', 'project_changes', 'person_grants'] as const;

/** Row count and a hash of every row of the registry tables: equal means nothing changed. */
export async function tableSnapshot(db: Db): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const t of TABLES) {
    const r = await sql<{ n: string; h: string | null }>`
      select count(*)::text as n, md5(coalesce(string_agg(x::text, '|' order by x::text), '')) as h from ${sql.table(t)} x`.execute(db);
    out[t] = `${r.rows[0]?.n}:${r.rows[0]?.h}`;
  }
  return out;
}

// Row N is the spreadsheet row: header = 1, XM2026001 = 2, XM20260NN = NN + 1.
export const MISTAKE_CASES: [string, (g: string[][]) => void, string[]][] = [
  ['missing name', (g) => editCell(g, 'XM2026002', '项目名称', ''), ['row 3, column 项目名称: 项目名称不能为空']],
  ['negative investment', (g) => editCell(g, 'XM2026003', '总投资(万元)', '-4309'), ['row 4, column 总投资(万元): 金额不能为负数']],
  ['non-numeric investment', (g) => editCell(g, 'XM2026004', '总投资(万元)', '待定'), ['row 5, column 总投资(万元): 没有找到金额数字，请填写数字，如 500、500万、3.21亿']],
  ['annual plan above total', (g) => editCell(g, 'XM2026005', '年度计划投资(万元)', '12000.5'), ['row 6, column 年度计划投资(万元): 年度计划投资 12000.5 万元大于总投资 12000 万元']],
  ['unknown stage', (g) => editCell(g, 'XM2026006', '项目阶段', '施工'), ['row 7, column 项目阶段: 项目阶段“施工”无效，应为 谋划、前期、新开工、续建、竣工、投产 之一']],
  ['duplicate code', (g) => editCell(g, 'XM2026009', '项目编号', 'XM2026007'), [
    'row 8, column 项目编号: 项目编号“XM2026007”重复，与第 10 行相同；每个项目编号只能出现一次',
    'row 10, column 项目编号: 项目编号“XM2026007”重复，与第 8 行相同；每个项目编号只能出现一次',
  ]],
  ['malformed mobile', (g) => editCell(g, 'XM2026011', '负责人手机', '1390000011'), ['row 12, column 负责人手机: 手机号“1390000011”格式不正确，应为11位手机号，如 13800000000']],
  ['landline', (g) => editCell(g, 'XM2026012', '负责人手机', '0871-65123456'), ['row 13, column 负责人手机: “0871-65123456”是座机号码，无法用于匹配飞书用户，请填写11位手机号，如 13800000000']],
  ['unknown frequency', (g) => editCell(g, 'XM2026013', '调度频次', '每季'), ['row 14, column 调度频次: 调度频次“每季”无效，应为 每周 或 每月（留空则按所属清单确定）']],
  ['bad date', (g) => editCell(g, 'XM2026015', '计划开工日期', '2026-02-30'), ['row 16, column 计划开工日期: 日期“2026-02-30”不存在（2026年2月只有28天）']],
  ['unreadable date', (g) => editCell(g, 'XM2026016', '计划竣工日期', '明年底'), ['row 17, column 计划竣工日期: 日期“明年底”无法识别，请写成 2026-03-01、2026/3/1 或 2026年3月1日']],
  ['finish before start', (g) => editCell(g, 'XM2026017', '计划竣工日期', '2024/1/1'), ['row 18, column 计划竣工日期: 计划竣工日期 2024-01-01 早于计划开工日期 2024-06-15']],
  ['one phone, two names', (g) => editCell(g, 'XM2026019', '包保领导', '郑莉'), ['row 20, column 包保领导: 手机号 13800002004 在第 4 行是“郑丽”，这里是“郑莉”；同一号码只能对应一个人']],
];

export function rowOf(line: string): number {
  return Number(/^row (\d+)/.exec(line)?.[1]);
}
