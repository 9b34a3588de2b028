// League, groups and meeting papers from the command line: `export`, `report`, `league show`,
// `league baseline` (上年同期 per region), `league exempt`, `groups list|bind|unbind`.
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parseAmountWan } from '../domain/amount.js';
import { parsePeriodKey } from '../domain/period.js';
import { AppError } from '../errors.js';
import { cycleSettings } from '../cycle/cycle-config.js';
import { renderTable } from '../platform/text-table.js';
import { bindGroup, listGroups, unbindGroup } from '../league/groups.repository.js';
import { computeLeague } from '../league/league.data.js';
import { headline, leagueView } from '../league/league.view.js';
import { loadMeetingPapers } from '../league/meeting-papers.data.js';
import { meetingWorkbook } from '../league/export.xlsx.js';
import { reportDocument } from '../league/report.docx.js';
import { importBaselines } from '../league/baseline-import.js';
import type { CliCommand } from './command.js';

function cycleRef(value: string | undefined): { kind: 'weekly' | 'monthly'; periodKey: string } {
  if (!value) throw new AppError('VALIDATION', 'missing --cycle', { userMessage: '请用 --cycle 指定期次，如 --cycle 2026-11（月）或 --cycle 2026-W47（周）' });
  let p;
  try {
    p = parsePeriodKey(value);
  } catch {
    throw new AppError('VALIDATION', `bad --cycle ${value}`, { userMessage: `--cycle “${value}”不是期次，应如 2026-11（月）或 2026-W47（周）` });
  }
  return { kind: p.kind, periodKey: p.key };
}

function requireOut(out: string | undefined, ext: string): string {
  if (!out) throw new AppError('VALIDATION', 'missing --out', { userMessage: `请用 --out 指定输出文件，如 --out 调度表${ext}` });
  if (!out.toLowerCase().endsWith(ext)) throw new AppError('VALIDATION', `bad --out ${out}`, { userMessage: `--out 文件名应以 ${ext} 结尾：${out}` });
  return out;
}

async function regionId(ctx: Parameters<CliCommand['run']>[1], name: string | undefined): Promise<number> {
  if (!name) throw new AppError('VALIDATION', 'missing region', { userMessage: '请写明地区名称' });
  const r = await ctx!.db.selectFrom('regions').select('id').where('name', '=', name).executeTakeFirst();
  if (!r) throw new AppError('VALIDATION', `unknown region ${name}`, { userMessage: `没有名为“${name}”的地区` });
  return r.id;
}

export const leagueCommands: CliCommand[] = [
  {
    name: 'export',
    summary: 'write the meeting spreadsheet (调度表.xlsx): every report, the league table, open problems and escalations',
    usage: 'export --cycle 2026-11 --out 调度表.xlsx',
    needsContext: true,
    async run(args, ctx, io) {
      const { values } = parseArgs({ args, options: { cycle: { type: 'string' }, out: { type: 'string' } } });
      const out = requireOut(values.out, '.xlsx');
      const papers = await loadMeetingPapers(ctx!.db, cycleRef(values.cycle));
      await writeFile(out, await meetingWorkbook(papers, cycleSettings(ctx!.config).tz));
      io.out(`已导出 ${out}：${papers.league.projects.length} 个项目，${papers.league.regions.length} 个地区，${papers.problems.length} 个未解决问题，${papers.escalations.length} 个督办事项`);
      return 0;
    },
  },
  {
    name: 'report',
    summary: 'write the 通报 draft (.docx) for a cycle',
    usage: 'report --cycle 2026-11 --out 11月通报.docx',
    needsContext: true,
    async run(args, ctx, io) {
      const { values } = parseArgs({ args, options: { cycle: { type: 'string' }, out: { type: 'string' } } });
      const out = requireOut(values.out, '.docx');
      const papers = await loadMeetingPapers(ctx!.db, cycleRef(values.cycle));
      await writeFile(out, await reportDocument(papers));
      io.out(`已生成通报草稿 ${out}`);
      io.out(headline(papers.league));
      return 0;
    },
  },
  {
    name: 'league show',
    summary: 'print the league table (擂台) of a cycle',
    usage: 'league show --cycle 2026-11',
    needsContext: true,
    needs: () => ({ feishu: false }),
    async run(args, ctx, io) {
      const { values } = parseArgs({ args, options: { cycle: { type: 'string' } } });
      const view = leagueView(await computeLeague(ctx!.db, cycleRef(values.cycle)));
      io.out(`${view.title}（${view.subtitle}）`);
      io.out(view.headline);
      const cols = [{ header: '名次' }, { header: '地区' }, { header: '变化' }, { header: '完成率' }, { header: '较序时进度' }, { header: '按时报送' }];
      for (const line of renderTable(cols, view.rows.map((r) => [r.rank, r.name, r.movement, r.completion, r.lag, r.onTime]))) io.out(line);
      for (const n of view.notRanked) io.out(`${n.name}：${n.reason}`);
      io.out(`红榜：${view.red.join('、') || '无'}；黑榜：${view.black.join('、') || '无'}`);
      return 0;
    },
  },
  {
    name: 'league baseline',
    summary: "set a region's completed investment in the same months of last year (上年同期), for year-on-year growth",
    usage: 'league baseline 天城县 --year 2025 --through 11 --amount 28000 | league baseline --file 上年同期.xlsx（列：地区、年份、截至月份、上年同期完成投资（万元））',
    needsContext: true,
    async run(args, ctx, io) {
      const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { year: { type: 'string' }, through: { type: 'string' }, amount: { type: 'string' }, file: { type: 'string' } } });
      if (values.file !== undefined) {
        const rows = await importBaselines(ctx!.db, values.file, 'cli');
        io.out(`已导入 ${rows.length} 条上年同期数据（${[...new Set(rows.map((r) => r.regionName))].join('、')}）`);
        return 0;
      }
      const id = await regionId(ctx, positionals[0]);
      const year = Number(values.year);
      const through = Number(values.through);
      if (!Number.isInteger(year) || year < 2000 || year > 2100) throw new AppError('VALIDATION', 'bad --year', { userMessage: `--year 应为年份，如 2025，不是“${values.year ?? ''}”` });
      if (!Number.isInteger(through) || through < 1 || through > 12) throw new AppError('VALIDATION', 'bad --through', { userMessage: `--through 应为 1-12 的月份，不是“${values.through ?? ''}”` });
      const amount = parseAmountWan(values.amount ?? '');
      if (!amount.ok) throw new AppError('VALIDATION', 'bad --amount', { userMessage: `--amount：${amount.reason}` });
      await ctx!.db.insertInto('region_baselines')
        .values({ region_id: id, year, through_month: through, amount: amount.value, updated_by: 'cli' })
        .onConflict((oc) => oc.columns(['region_id', 'year', 'through_month']).doUpdateSet({ amount: amount.value, updated_by: 'cli', updated_at: new Date() }))
        .execute();
      io.out(`${positionals[0]} ${year}年1-${through}月完成投资 ${amount.value} 万元，已记录`);
      return 0;
    },
  },
  {
    name: 'league exempt',
    summary: 'show a region in the league without ranking it (or --remove to rank it again)',
    usage: 'league exempt 高新区 --reason 冬季停工 | league exempt 高新区 --remove',
    needsContext: true,
    async run(args, ctx, io) {
      const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { reason: { type: 'string' }, remove: { type: 'boolean', default: false } } });
      const id = await regionId(ctx, positionals[0]);
      if (values.remove) {
        await ctx!.db.deleteFrom('region_league_exemptions').where('region_id', '=', id).execute();
        io.out(`${positionals[0]} 恢复参与排名`);
        return 0;
      }
      const reason = values.reason?.trim();
      if (!reason) throw new AppError('VALIDATION', 'missing --reason', { userMessage: '请用 --reason 写明不参与排名的原因' });
      await ctx!.db.insertInto('region_league_exemptions').values({ region_id: id, reason, created_by: 'cli' })
        .onConflict((oc) => oc.column('region_id').doUpdateSet({ reason })).execute();
      io.out(`${positionals[0]} 不参与排名：${reason}`);
      return 0;
    },
  },
  {
    name: 'groups list',
    summary: 'list the groups bound to the dispatch table or a region',
    usage: 'groups list',
    needsContext: true,
    needs: () => ({ feishu: false }),
    async run(_args, ctx, io) {
      const groups = await listGroups(ctx!.db);
      if (groups.length === 0) {
        io.out('尚未绑定任何群');
        return 0;
      }
      for (const line of renderTable([{ header: '群' }, { header: 'chat_id' }, { header: '用途' }], groups.map((g) => [g.name, g.chatId, g.purpose === 'dispatch' ? '调度群' : g.regionName ?? g.purpose]))) io.out(line);
      return 0;
    },
  },
  {
    name: 'groups bind',
    summary: 'bind a group to the dispatch table (调度群) or to a region',
    usage: 'groups bind <chat_id> 调度群|天城县 [--name 群名]',
    needsContext: true,
    async run(args, ctx, io) {
      const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { name: { type: 'string' } } });
      const [chatId, target] = positionals;
      if (!chatId || !target) throw new AppError('VALIDATION', 'usage', { userMessage: '用法：groups bind <chat_id> 调度群|地区名 [--name 群名]' });
      const g = await bindGroup(ctx!.db, { chatId, name: values.name ?? chatId, target, by: 'cli', at: new Date() });
      io.out(`已绑定 ${g.name}（${g.chatId}）→ ${g.purpose === 'dispatch' ? '调度群' : g.regionName ?? ''}`);
      return 0;
    },
  },
  {
    name: 'groups unbind',
    summary: 'unbind a group',
    usage: 'groups unbind <chat_id>',
    needsContext: true,
    async run(args, ctx, io) {
      const chatId = args[0];
      if (!chatId) throw new AppError('VALIDATION', 'usage', { userMessage: '用法：groups unbind <chat_id>' });
      io.out((await unbindGroup(ctx!.db, chatId)) ? `已解除 ${chatId} 的绑定` : `${chatId} 未绑定`);
      return 0;
    },
  },
];
