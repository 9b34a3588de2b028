// Registry import at city scale: a generated 10,000-row .xlsx (6 regions, ~2,000 people,
// 20 departments) into a fresh database, then the same file again (0 changes).
// Prints rows, seconds and rows/s for both, and for the reference and each import the CPU this
// process and the database's backends spent (wall time moves with whatever else the machine runs;
// the CPU moves less). BENCH_IMPORT_STATEMENTS=1 also prints each statement's time at the driver
// and its backend's CPU. `tsx bench/import.bench.ts`, or `run()` from a runner.
import { pathToFileURL } from 'node:url';
import * as XLSX from '@e965/xlsx';
import { createDb } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { createLogger } from '../src/logger.js';
import { changeCount, importRegistry, type ImportOutcome } from '../src/registry/registry-import.js';
import { sourceFromBytes } from '../src/registry/sheet-reader.js';
import { sql } from 'kysely';
import { benchAdminUrl, cleanup, createBenchDatabase } from './bench-support.js';
import { round, writeResults } from './results.js';
import { installStatementTimer, processCpuMs, statementReport, timingPart } from './statement-timer.js';

const ROWS = 10_000;
const REGIONS = ['天城县', '南湖县', '东城区', '西山区', '高新区', '临港新区'];
const DEPARTMENTS = [
  '市发改委', '市工信局', '市住建局', '市交通运输局', '市水务局', '市自然资源局', '市生态环境局', '市商务局', '市教育局', '市卫健委',
  '市文旅局', '市农业农村局', '市能源局', '市应急管理局', '市市场监管局', '市统计局', '市财政局', '市林草局', '市国资委', '市城管局',
];
const OWNERS = 1_934;
const LEADERS = 60;
const VICE_MAYORS = 6;
const HEADER = [
  '项目编号', '项目名称', '项目法人', '建设地点', '所属地区', '行业类别', '项目阶段', '所属清单', '调度频次', '总投资（万元）',
  '年度计划投资（万元）', '投资主体', '计划开工日期', '计划竣工日期', '项目负责人', '负责人手机', '包保领导', '包保领导手机',
  '分管副市长', '分管副市长手机', '责任单位',
];

/** Deterministic, so every run imports the same sheet. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SURNAMES = '王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文';
const GIVEN = '伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国志宏海波晓东琳雪梅斌浩宇欣怡婷';
const INDUSTRIES = ['能源', '基础设施', '产业', '社会民生', '服务业', '房地产', '农业'];
const KINDS = ['水电站', '物流园', '产业园', '污水处理厂', '学校', '医院', '公路', '标准化厂房', '商业街', '文旅小镇', '冷链中心', '光伏电站'];
const STAGES = ['续建', '续建', '续建', '新开工', '新开工', '前期', '谋划', '竣工', '投产'];
const LISTS = ['在建项目', '在建项目', '已开工未入统项目', '专项债券项目', '明年拟开工项目', '重大谋划项目', '在建项目、专项债券项目'];

type Person = { name: string; mobile: number };

function people(prefix: number, count: number, random: () => number): Person[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `${SURNAMES[Math.floor(random() * SURNAMES.length)]}${GIVEN[Math.floor(random() * GIVEN.length)]}${i % 3 === 0 ? '' : GIVEN[Math.floor(random() * GIVEN.length)]}`,
    mobile: prefix * 1e8 + i,
  }));
}

/** A realistic 10,000-row registry sheet, typed the way Excel stores it (numbers, date cells). */
export function generateSheet(rows = ROWS): Buffer {
  const random = mulberry32(20261121);
  const owners = people(139, OWNERS, random);
  const leaders = people(138, LEADERS, random);
  const viceMayors = people(137, VICE_MAYORS, random);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const grid: (string | number | Date)[][] = [HEADER];
  for (let i = 0; i < rows; i++) {
    const region = REGIONS[i % REGIONS.length];
    const total = Math.round(500 + random() * 500_000) + Math.round(random() * 100) / 100;
    const annual = Math.round(total * random() * 0.5 * 100) / 100;
    const startYear = 2023 + Math.floor(random() * 5);
    const start = new Date(startYear, Math.floor(random() * 12), 1 + Math.floor(random() * 28));
    const finish = new Date(startYear + 1 + Math.floor(random() * 4), 11, 31);
    const owner = owners[i % OWNERS];
    const leader = leaders[i % LEADERS];
    const viceMayor = viceMayors[i % VICE_MAYORS];
    grid.push([
      `BJ2026${String(i + 1).padStart(5, '0')}`,
      `${region}${pick(KINDS)}${i + 1}号项目`,
      `${region}${pick(['城投', '交投', '水投', '产投'])}有限公司`,
      `${region}某镇`,
      region,
      pick(INDUSTRIES),
      pick(STAGES),
      pick(LISTS),
      random() < 0.2 ? '' : pick(['每周', '每月', '每月']),
      total,
      annual,
      pick(['政府投资', '民间投资', '国有投资']),
      start,
      finish,
      owner.name,
      owner.mobile,
      leader.name,
      leader.mobile,
      viceMayor.name,
      viceMayor.mobile,
      DEPARTMENTS[i % DEPARTMENTS.length],
    ]);
  }
  const wb = XLSX.utils.book_new();
  XLSX.utils.book_append_sheet(wb, XLSX.utils.aoa_to_sheet(grid, { cellDates: true }), '在建项目清单');
  return XLSX.write(wb, { type: 'buffer', bookType: 'xlsx', compression: true }) as Buffer;
}

/**
 * The reference: read the same workbook with the same reader options as the import (sheet-reader.ts:
 * dense cells, raw values, no formatted text), and insert its rows as they are, 1,000 per statement,
 * into a table of text columns — the least any import of this file can do.
 */
async function parseAndInsert(db: ReturnType<typeof createDb>, bytes: Buffer): Promise<number> {
  const t0 = performance.now();
  const wb = XLSX.read(bytes, { type: 'buffer', dense: true, cellDates: false, cellText: false, cellHTML: false, cellFormula: false });
  const grid = XLSX.utils.sheet_to_json<unknown[]>(wb.Sheets[wb.SheetNames[0]], { header: 1, raw: true, defval: null });
  const [head, ...body] = grid;
  const cols = (head).map((_, i) => `c${i}`);
  await sql.raw(`create table bench_reference_rows (${cols.map((c) => `${c} text`).join(', ')})`).execute(db);
  for (let i = 0; i < body.length; i += 1000) {
    const chunk = body.slice(i, i + 1000);
    const values = chunk.map((r) => sql`(${sql.join(cols.map((_, j) => cellText(r[j])))})`);
    await sql`insert into bench_reference_rows (${sql.raw(cols.join(', '))}) values ${sql.join(values)}`.execute(db);
  }
  const seconds = (performance.now() - t0) / 1000;
  await sql`drop table bench_reference_rows`.execute(db);
  return seconds;
}

function cellText(v: unknown): string | null {
  if (v == null) return null;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/**
 * CPU of this process and of the bench database's backends (Linux, server on this host; 10 ms
 * ticks; null when /proc cannot tell) between start() and the call it returns. The backends are
 * those connected at either end; the pool keeps its connections for longer than a part lasts.
 */
function cpuMeter(db: ReturnType<typeof createDb>) {
  const backends = async () => (await sql<{ pid: number }>`select pid from pg_stat_activity where datname = current_database()`.execute(db)).rows.map((r) => r.pid);
  const read = (pids: Iterable<number>) => {
    const out = new Map<number, number | null>();
    for (const pid of pids) out.set(pid, processCpuMs(pid));
    return out;
  };
  return {
    async start(): Promise<() => Promise<{ node: number; db: number | null }>> {
      const before = read(await backends());
      const node0 = process.cpuUsage();
      return async () => {
        const node = process.cpuUsage(node0);
        const pids = new Set([...before.keys(), ...(await backends())]);
        let total: number | null = 0;
        for (const [pid, now] of read(pids)) {
          const was = before.get(pid) ?? 0;
          total = now === null || was === null || total === null ? null : total + now - was;
        }
        return { node: Math.round((node.user + node.system) / 1000), db: total };
      };
    },
  };
}

const cpuText = (c: { node: number; db: number | null }) => `${c.node} ms here, ${c.db ?? '?'} ms in the database's backends`;

function summary(outcome: ImportOutcome): string {
  if (!outcome.ok) throw new Error(`import refused: ${outcome.issues.slice(0, 5).map((i) => `row ${i.row}, column ${i.column}: ${i.message}`).join('; ')}`);
  return `created ${outcome.created.length}, updated ${outcome.updated.length}, unchanged ${outcome.unchanged}, people ${outcome.peopleCreated}, changes ${changeCount(outcome)}`;
}

export async function run(opts: { rows?: number; adminUrl?: string; out?: (line: string) => void } = {}): Promise<void> {
  const rows = opts.rows ?? (process.env.BENCH_IMPORT_ROWS ? Number(process.env.BENCH_IMPORT_ROWS) : ROWS);
  const out = opts.out ?? ((l: string) => console.log(l));
  const admin = opts.adminUrl ?? benchAdminUrl();

  let t0 = performance.now();
  const bytes = generateSheet(rows);
  out(`generate: ${rows} rows, ${(bytes.length / 1024).toFixed(0)} KiB xlsx in ${((performance.now() - t0) / 1000).toFixed(2)} s`);

  const benchDb = await createBenchDatabase(admin);
  const timer = process.env.BENCH_IMPORT_STATEMENTS ? installStatementTimer() : null;
  const db = createDb(benchDb.url, { max: 5 });
  try {
    await migrateToLatest(db);
    const deps = { db, logger: createLogger('silent'), now: () => new Date() };
    const file = sourceFromBytes('bench.xlsx', bytes);

    const cpu = cpuMeter(db);
    timingPart('reference');
    let mark = await cpu.start();
    const referenceSeconds = await parseAndInsert(db, bytes);
    const referenceCpu = await mark();
    out(`reference (parse the same file, bulk-insert the same rows): ${rows} rows in ${referenceSeconds.toFixed(2)} s; CPU ${cpuText(referenceCpu)}`);
    const timings: Record<string, number> = {};
    const cpuMs: Record<string, { node: number; db: number | null }> = { reference: referenceCpu };
    for (const label of ['import', 're-import']) {
      timingPart(label);
      mark = await cpu.start();
      t0 = performance.now();
      const outcome = await importRegistry(deps, { file, actor: 'bench' });
      const seconds = (performance.now() - t0) / 1000;
      cpuMs[label] = await mark();
      timings[label] = seconds;
      out(`${label}: ${rows} rows in ${seconds.toFixed(2)} s = ${Math.round(rows / seconds)} rows/s, ${(seconds / referenceSeconds).toFixed(2)}× the reference (${summary(outcome)}); CPU ${cpuText(cpuMs[label])}`);
      if (label === 're-import' && outcome.ok && changeCount(outcome) !== 0) throw new Error('re-import changed the registry');
    }
    timingPart('-');
    if (timer) for (const line of statementReport(timer.statements.filter((x) => x.part !== '-'))) out(line);
    const pairs = await warmPairs(admin, bytes, rows, out);
    writeResults('import', {
      rows,
      note: 'the machine is shared; figures under contention are noisy',
      referenceSeconds: round(referenceSeconds),
      importSeconds: round(timings.import),
      reimportSeconds: round(timings['re-import']),
      ratio: round(timings.import / referenceSeconds),
      cpuMs,
      warmPairs: pairs,
      target: { ratio: '≤ 1.5' },
    });
    const counts = await Promise.all((['projects', 'people', 'regions', 'departments'] as const).map(async (table) => {
      const r = await db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
      return `${table} ${r.n}`;
    }));
    out(`database: ${counts.join(', ')}`);
  } finally {
    // The pool first: dropping the database under its idle connections would crash the process.
    await cleanup('import bench', [() => db.destroy(), () => benchDb.drop()]);
  }
}

/**
 * The run above times the reference first, while the workbook reader is still cold, and the import
 * after it with the reader warm: that favours the import. Here both run warm, BENCH_IMPORT_PAIRS
 * times (3; 0 skips), each pair in a fresh database, and the median of their ratios is printed too.
 */
async function warmPairs(admin: string, bytes: Buffer, rows: number, out: (line: string) => void) {
  const count = process.env.BENCH_IMPORT_PAIRS === undefined ? 3 : Number(process.env.BENCH_IMPORT_PAIRS);
  const ratios: number[] = [];
  const pairs: { referenceSeconds: number | null; importSeconds: number | null; ratio: number | null }[] = [];
  for (let i = 0; i < count; i++) {
    const pairDb = await createBenchDatabase(admin);
    const db = createDb(pairDb.url, { max: 5 });
    try {
      await migrateToLatest(db);
      const referenceSeconds = await parseAndInsert(db, bytes);
      const t0 = performance.now();
      const outcome = await importRegistry({ db, logger: createLogger('silent'), now: () => new Date() }, { file: sourceFromBytes('bench.xlsx', bytes), actor: 'bench' });
      const importSeconds = (performance.now() - t0) / 1000;
      summary(outcome);
      ratios.push(importSeconds / referenceSeconds);
      pairs.push({ referenceSeconds: round(referenceSeconds), importSeconds: round(importSeconds), ratio: round(importSeconds / referenceSeconds) });
      out(`warm pair ${i + 1}: reference ${referenceSeconds.toFixed(2)} s, import ${importSeconds.toFixed(2)} s = ${(importSeconds / referenceSeconds).toFixed(2)}×`);
    } finally {
      await cleanup('import bench pair', [() => db.destroy(), () => pairDb.drop()]);
    }
  }
  if (ratios.length === 0) return null;
  const median = [...ratios].sort((a, b) => a - b)[Math.floor(ratios.length / 2)];
  out(`warm pairs (${rows} rows): median ${median.toFixed(2)}× the reference`);
  return { pairs, medianRatio: round(median) };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
