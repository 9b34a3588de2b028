// Escalations and light exemptions for the dispatch office:
//   escalations list [--level 1|2] [--open] [--region 区县] [--json] / escalations show ID /
//   escalations run --cycle ID (the close's ladder step by hand; idempotent)
//   exempt XM… --until YYYY-MM-DD --reason … / exemptions list [--all] / exempt remove ID
import { parseArgs } from 'node:util';
import { AppError } from '../errors.js';
import { cycleSettings } from '../cycle/cycle-config.js';
import { formatLocalTime, localDay } from '../cards/format.js';
import { periodLabel } from '../domain/period.js';
import { renderTable } from '../platform/text-table.js';
import { actionLine, LEVEL_LABEL, STATE_LABEL } from '../cards/escalation.card.js';
import { actionsOf, findEscalations, listEscalations } from '../escalation/escalation.repository.js';
import { escalateAtClose } from '../escalation/escalation.service.js';
import { addExemption, lightHistory, listExemptions, removeExemption } from '../escalation/lights.repository.js';
import type { CliCommand } from './command.js';

const LIGHT_LABEL = { green: '🟢绿', yellow: '🟡黄', red: '🔴红', none: '⚪未评' } as const;

function positiveInt(v: string | undefined, what: string): number {
  if (v === undefined || !/^\d+$/.test(v) || Number(v) <= 0) throw new AppError('VALIDATION', `bad ${what} ${v}`, { userMessage: `${what} 应为正整数，不是“${v ?? ''}”` });
  return Number(v);
}

function day(v: string | undefined, what: string): string {
  if (!v || !/^\d{4}-\d{2}-\d{2}$/.test(v) || new Date(`${v}T00:00:00Z`).toISOString().slice(0, 10) !== v) {
    throw new AppError('VALIDATION', `bad ${what} ${v}`, { userMessage: `${what} 应为日期 YYYY-MM-DD，如 2027-03-01，不是“${v ?? ''}”` });
  }
  return v;
}

function table(io: { out: (l: string) => void }, headers: string[], rows: string[][]): void {
  for (const line of renderTable(headers.map((header) => ({ header, maxWidth: 60 })), rows)) io.out(line);
}

export const escalationCommands: CliCommand[] = [
  {
    name: 'escalations list',
    summary: 'list escalations to 包保领导 (level 1) and 分管副市长 (level 2), newest first',
    usage: 'escalations list [--level 1|2] [--open] [--region 区县] [--json]',
    needsContext: true,
    needs: () => ({ feishu: false }),
    async run(args, ctx, io) {
      const { values } = parseArgs({ args, options: { level: { type: 'string' }, open: { type: 'boolean', default: false }, region: { type: 'string' }, json: { type: 'boolean', default: false } } });
      if (values.level !== undefined && values.level !== '1' && values.level !== '2') {
        throw new AppError('VALIDATION', `bad --level ${values.level}`, { userMessage: `--level 只能是 1（包保领导）或 2（分管副市长），不是“${values.level}”` });
      }
      const list = await listEscalations(ctx!.db, { ...(values.level ? { level: Number(values.level) as 1 | 2 } : {}), open: values.open, ...(values.region ? { region: values.region } : {}) });
      if (values.json) {
        io.out(JSON.stringify(list.map((e) => ({ id: e.id, level: e.level, state: e.state, period: e.periodKey, project: e.project.code, region: e.project.region, target: e.target, causes: e.causes.map((c) => c.text) })), null, 2));
        return 0;
      }
      if (list.length === 0) {
        io.out('没有符合条件的升级事项');
        return 0;
      }
      table(
        io,
        ['编号', '层级', '状态', '期次', '项目', '地区', '报送对象', '事由'],
          list.map((e) => [String(e.id), LEVEL_LABEL[e.level], STATE_LABEL[e.state], periodLabel(e.cycleKind, e.periodKey), `${e.project.code} ${e.project.name}`, e.project.region, e.target ?? '（名册未指定）', e.causes.map((c) => c.text).join('；')]),
      );
      io.out(`共 ${list.length} 项`);
      return 0;
    },
  },
  {
    name: 'escalations show',
    summary: 'one escalation: causes, light history, every action with who and when',
    usage: 'escalations show <ID>',
    needsContext: true,
    needs: () => ({ feishu: false }),
    async run(args, ctx, io) {
      const id = positiveInt(args[0], '升级事项编号');
      const [e] = await findEscalations(ctx!.db, [id]);
      if (!e) throw new AppError('NOT_FOUND', `escalation ${id} not found`, { userMessage: `找不到编号为 ${id} 的升级事项` });
      const { tz } = cycleSettings(ctx!.config);
      io.out(`升级事项 ${e.id} · ${LEVEL_LABEL[e.level]} · ${STATE_LABEL[e.state]}`);
      io.out(`项目：${e.project.name}（${e.project.code}，${e.project.region}） 负责人：${e.project.owner ?? '未指定'} 责任单位：${e.project.department ?? '未指定'}`);
      io.out(`期次：${periodLabel(e.cycleKind, e.periodKey)} 报送对象：${e.target ?? '（名册未指定）'} 升级时间：${formatLocalTime(e.createdAt, tz)}`);
      io.out('事由：');
      for (const c of e.causes) io.out(`  - ${c.text}`);
      const lights = (await lightHistory(ctx!.db, e.project.id, 12)).reverse();
      if (lights.length) io.out(`预警灯：${lights.map((l) => `${periodLabel(l.kind, l.periodKey)}${LIGHT_LABEL[l.light]}`).join(' → ')}`);
      const actions = await actionsOf(ctx!.db, [e.id]);
      io.out(actions.length ? '处理记录：' : '处理记录：无');
      for (const a of actions) {
        io.out(`  - ${actionLine({ action: a.action, actor: a.actor, at: formatLocalTime(a.createdAt, tz), text: a.text, deadline: a.deadline })}${a.passedDownAt ? '（已转达）' : ''}`);
      }
      if (e.resolvedAt) io.out(`已解除：${formatLocalTime(e.resolvedAt, tz)}，${e.resolution ?? ''}`);
      return 0;
    },
  },
  {
    name: 'escalations run',
    summary: "run a closed cycle's lights and escalation ladder now (safe to repeat: nothing is sent twice)",
    usage: 'escalations run --cycle <ID>',
    needsContext: true,
    async run(args, ctx, io) {
      const { values } = parseArgs({ args, options: { cycle: { type: 'string' } } });
      const r = await escalateAtClose(ctx!, positiveInt(values.cycle, '--cycle'));
      io.out(`评灯 ${r.lights} 个项目；新升级 ${r.created} 项；自动解除 ${r.resolved} 项；发出领导卡片 ${r.cardsSent} 张`);
      return 0;
    },
  },
  {
    name: 'exempt remove',
    summary: 'end a light exemption early (kept in the record)',
    usage: 'exempt remove <ID>',
    needsContext: true,
    async run(args, ctx, io) {
      const id = positiveInt(args[0], '豁免编号');
      if (!(await removeExemption(ctx!.db, id, 'cli', ctx!.now()))) throw new AppError('NOT_FOUND', `exemption ${id} not found or removed`, { userMessage: `找不到生效中的豁免 ${id}` });
      io.out(`已撤销豁免 ${id}`);
      return 0;
    },
  },
  {
    name: 'exempt',
    summary: 'exempt a project from lights until a date (不可抗力, 冬季停工, 资金 …)',
    usage: 'exempt <项目编号> --until YYYY-MM-DD --reason 原因',
    needsContext: true,
    async run(args, ctx, io) {
      const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { until: { type: 'string' }, reason: { type: 'string' } } });
      const code = positionals[0];
      if (!code) throw new AppError('VALIDATION', 'missing project code', { userMessage: '请给出项目编号，如 exempt XM2026001 --until 2027-03-01 --reason 冬季停工' });
      const until = day(values.until, '--until');
      const { tz } = cycleSettings(ctx!.config);
      const today = localDay(ctx!.now(), tz);
      if (until < today) throw new AppError('VALIDATION', `--until ${until} is past`, { userMessage: `--until ${until} 已过去，豁免截止日应不早于今天` });
      const reason = (values.reason ?? '').trim();
      if (!reason) throw new AppError('VALIDATION', 'missing --reason', { userMessage: '请用 --reason 写明豁免原因，如 冬季停工' });
      const row = await addExemption(ctx!.db, { code, reason, until, actor: 'cli' });
      io.out(`已豁免 ${row.code} ${row.name}：${row.reason}，至 ${row.until}（编号 ${row.id}）`);
      return 0;
    },
  },
  {
    name: 'exemptions list',
    summary: 'list light exemptions',
    usage: 'exemptions list [--all]',
    needsContext: true,
    needs: () => ({ feishu: false }),
    async run(args, ctx, io) {
      const { values } = parseArgs({ args, options: { all: { type: 'boolean', default: false } } });
      const list = await listExemptions(ctx!.db, { includeRemoved: values.all });
      if (list.length === 0) {
        io.out('没有豁免');
        return 0;
      }
      table(io, ['编号', '项目', '原因', '截止', '登记', '状态'], list.map((x) => [String(x.id), `${x.code} ${x.name}`, x.reason, x.until, x.createdBy, x.removedAt ? '已撤销' : '生效']));
      return 0;
    },
  },
];
