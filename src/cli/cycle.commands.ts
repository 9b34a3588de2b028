// `cycle open|remind|close|status` and `calendar add-off|list|remove`.
//
// The cycle commands call the same service functions as the scheduled jobs (src/cycle/
// cycle.service.ts), so a step run by hand is the scheduled step: opening twice is harmless, and
// the per-owner prompts and reminders are enqueued under the same job ids. Those jobs are sent
// by the workers of the running service. When no worker is running (a maintenance window, a
// one-off box), `--inline` sends them from this process too, through the same per-owner
// functions the workers run; messages are keyed, so a worker that picks the queued jobs up later
// sends nothing twice.
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import type { AppContext } from '../platform/app-context.js';
import type { CycleKind } from '../db/schema.js';
import { AppError } from '../errors.js';
import { periodKeyFor, periodLabel } from '../domain/period.js';
import { cycleSettings } from '../cycle/cycle-config.js';
import { addDayOff, listOverrides, removeOverride } from '../cycle/calendar.repository.js';
import { findCycleByPeriod, latestCycle, openCycles, ownersOfCycle, type CycleRow } from '../cycle/cycle.repository.js';
import { closeCycle, openCycle, plannedCycleTimes, remindCycle, rescheduleOpenCycles } from '../cycle/cycle.service.js';
import { lateOpenTimes } from './late-open.js';
import { cycleStatus, formatCycleStatus } from '../cycle/cycle-status.js';
import { formatLocalTime, kindLabel } from '../cards/format.js';
import { sendOwnerPrompts, sendOwnerReminder, type OwnerSendResult } from '../cycle/prompt.service.js';
import type { CliCommand, CliIo } from './command.js';
import { jobIds } from '../cycle/job-ids.js';
import { UNDELIVERED_LABEL, type UndeliveredKind } from '../cycle/send-failure-report.js';

const kindOption = { kind: { type: 'string' as const }, period: { type: 'string' as const } };

function parseKind(value: string | undefined, required: boolean): CycleKind | undefined {
  if (value === undefined) {
    if (required) throw new AppError('VALIDATION', '--kind is required', { userMessage: '请用 --kind weekly（周调度）或 --kind monthly（月调度）指定调度类型' });
    return undefined;
  }
  if (value !== 'weekly' && value !== 'monthly') {
    throw new AppError('VALIDATION', `bad --kind ${value}`, { userMessage: `--kind 只能是 weekly（周调度）或 monthly（月调度），不是“${value}”` });
  }
  return value;
}

/** The cycle a remind/close/status command means: --period if given, else the latest one. */
async function resolveCycle(ctx: AppContext, kind: CycleKind | undefined, period: string | undefined, openOnly: boolean): Promise<CycleRow> {
  if (period !== undefined) {
    if (!kind) throw new AppError('VALIDATION', '--period needs --kind', { userMessage: '指定 --period 时请同时指定 --kind' });
    const cycle = await findCycleByPeriod(ctx.db, kind, period);
    if (!cycle) throw new AppError('NOT_FOUND', `no ${kind} cycle ${period}`, { userMessage: `${kindLabel(kind)} ${period} 尚未开启` });
    return cycle;
  }
  const cycle = openOnly ? (await openCycles(ctx.db, kind)).at(-1) : await latestCycle(ctx.db, kind);
  if (!cycle) {
    const what = kind ? kindLabel(kind) : '调度';
    throw new AppError('NOT_FOUND', `no ${openOnly ? 'open ' : ''}${kind ?? ''} cycle`, { userMessage: openOnly ? `没有进行中的${what}` : `还没有开启过${what}` });
  }
  return cycle;
}

const cycleName = (c: CycleRow) => `${kindLabel(c.kind)} ${c.period_key} ${periodLabel(c.kind, c.period_key)}（编号 ${c.id}）`;

async function noteWorkers(ctx: AppContext, io: CliIo, inline: boolean): Promise<void> {
  if (inline) return;
  const workers = await ctx.queues.queue('outbound').getWorkersCount();
  if (workers === 0) {
    io.out('注意：当前没有运行中的 worker，消息已入队，将在服务（worker）启动后发送；如需立即从本机发送，请加 --inline。');
  }
}

function summarise(results: OwnerSendResult[]): string {
  const sent = results.reduce((a, r) => a + r.sent, 0);
  const already = results.reduce((a, r) => a + r.alreadySent, 0);
  const unmatched = results.filter((r) => r.skipped === 'unmatched').length;
  return `本机发送 ${sent} 条，此前已发 ${already} 条，未匹配飞书账号跳过 ${unmatched} 人`;
}

/** Without --inline the messages are only queued for the service's workers to send. */
const inlineSendsToFeishu = (args: string[]) => ({ feishu: args.includes('--inline') });

const openCommand: CliCommand = {
  name: 'cycle open',
  summary: 'open a cycle (default: the period containing now) and send the prompts',
  usage: 'cycle open --kind weekly|monthly [--period 2026-W47|2026-11] [--due "2026-12-02 18:00" | --force] [--inline]',
  needsContext: true,
  needs: inlineSendsToFeishu,
  async run(args, ctx, io) {
    const { values } = parseArgs({
      args,
      options: { ...kindOption, inline: { type: 'boolean', default: false }, due: { type: 'string' }, force: { type: 'boolean', default: false } },
    });
    const c = ctx!;
    const kind = parseKind(values.kind, true)!;
    const tz = cycleSettings(c.config).tz;
    const period = values.period ?? periodKeyFor(kind, c.now(), tz);
    let late: ReturnType<typeof lateOpenTimes> = {};
    if (!(await findCycleByPeriod(c.db, kind, period))) {
      const { times } = await plannedCycleTimes(c, kind, period);
      late = lateOpenTimes({ kind, period, planned: times, now: c.now(), tz, due: values.due, force: values.force });
    } else if (values.due !== undefined) {
      throw new AppError('VALIDATION', 'cycle already open', { userMessage: `${kindLabel(kind)} ${period} 已经开启，--due 只能用于尚未开启的期次` });
    }
    if (late.warning) io.out(late.warning);
    const r = await openCycle(c, kind, period, { remindAt: late.remindAt, dueAt: late.dueAt });
    const cycle = r.cycle;
    io.out(`${r.created ? '已开启' : '此前已开启'} ${cycleName(cycle)}${cycle.state === 'closed' ? '，且已截止' : ''}`);
    io.out(`开启 ${formatLocalTime(cycle.open_at, tz)} · 催报 ${formatLocalTime(cycle.remind_at, tz)} · 截止 ${formatLocalTime(cycle.due_at, tz)}`);
    io.out(`覆盖 ${r.projects} 个项目、${r.owners} 名负责人；未匹配飞书账号的负责人 ${r.unmatchedOwners} 名，无负责人的项目 ${r.ownerlessProjects} 个`);
    if (r.calendarMissingYears.length > 0) {
      io.out(`警告：缺少 ${r.calendarMissingYears.join('、')} 年法定节假日数据，时间按周一至周五推算，已通知管理员。`);
    }
    if (cycle.state !== 'open') return 0;
    io.out(`填报通知任务已入队 ${r.owners} 个（每名负责人一个）。`);
    if (values.inline) {
      const results: OwnerSendResult[] = [];
      for (const o of await ownersOfCycle(c.db, cycle.id)) results.push(await sendOwnerPrompts(c, cycle.id, o.ownerId));
      io.out(summarise(results));
    }
    await noteWorkers(c, io, values.inline);
    return 0;
  },
};

const remindCommand: CliCommand = {
  name: 'cycle remind',
  summary: 'remind owners who have not reported (--final: the last call at the due time)',
  usage: 'cycle remind --kind weekly|monthly [--period …] [--final] [--inline]',
  needsContext: true,
  needs: inlineSendsToFeishu,
  async run(args, ctx, io) {
    const { values } = parseArgs({ args, options: { ...kindOption, final: { type: 'boolean', default: false }, inline: { type: 'boolean', default: false } } });
    const c = ctx!;
    const kind = parseKind(values.kind, true);
    const cycle = await resolveCycle(c, kind, values.period, values.period === undefined);
    const r = await remindCycle(c, cycle.id, values.final);
    io.out(`${cycleName(cycle)}：${values.final ? '截止提醒' : '催报'}任务已入队 ${r.owners} 个（尚未报送的负责人）。`);
    if (values.inline) {
      const statuses = values.final ? (['pending', 'missed'] as const) : (['pending'] as const);
      const results: OwnerSendResult[] = [];
      for (const o of await ownersOfCycle(c.db, cycle.id, [...statuses])) results.push(await sendOwnerReminder(c, cycle.id, o.ownerId, values.final));
      io.out(summarise(results));
    }
    await noteWorkers(c, io, values.inline);
    return 0;
  },
};

const closeCommand: CliCommand = {
  name: 'cycle close',
  summary: 'close a cycle now: projects not reported become missed',
  usage: 'cycle close --kind weekly|monthly [--period …]',
  needsContext: true,
  needs: () => ({ feishu: false }),
  async run(args, ctx, io) {
    const { values } = parseArgs({ args, options: kindOption });
    const c = ctx!;
    const cycle = await resolveCycle(c, parseKind(values.kind, true), values.period, values.period === undefined);
    const r = await closeCycle(c, cycle.id);
    io.out(r.closed ? `${cycleName(cycle)} 已截止，${r.missed} 个项目记为缺报（之后仍可补报，记为迟报）。` : `${cycleName(cycle)} 此前已截止。`);
    return 0;
  },
};

const statusCommand: CliCommand = {
  name: 'cycle status',
  summary: 'per-region reporting status of a cycle (default: the latest)',
  usage: 'cycle status [--kind weekly|monthly] [--period …] [--json]',
  needsContext: true,
  needs: () => ({ feishu: false }),
  async run(args, ctx, io) {
    const { values } = parseArgs({ args, options: { ...kindOption, json: { type: 'boolean', default: false } } });
    const c = ctx!;
    const cycle = await resolveCycle(c, parseKind(values.kind, false), values.period, false);
    const status = await cycleStatus(c.db, cycle);
    if (values.json) io.out(JSON.stringify(status, null, 2));
    else for (const line of formatCycleStatus(status, cycleSettings(c.config).tz)) io.out(line);
    return 0;
  },
};

const resendCommand: CliCommand = {
  name: 'cycle resend',
  summary: 'send again the prompts and reminders that failed (e.g. after a receiver was put back in the app\'s scope)',
  usage: 'cycle resend --kind weekly|monthly [--period …] [--inline]',
  needsContext: true,
  async run(args, ctx, io) {
    const { values } = parseArgs({ args, options: { ...kindOption, inline: { type: 'boolean', default: false } } });
    const c = ctx!;
    const cycle = await resolveCycle(c, parseKind(values.kind, true), values.period, values.period === undefined);
    if (cycle.state !== 'open') {
      io.out(`${cycleName(cycle)} 已截止，不再重发填报通知和提醒。`);
      return 1;
    }
    const status = await cycleStatus(c.db, cycle);
    // Prompts from the outbound log's failed sends; reminders from the give-ups (a reminder failing
    // for a passing reason is still being retried by its own job).
    const sends: Resend[] = [
      ...status.failedPrompts.map((f): Resend => ({ name: f.name, ownerId: f.personId, what: 'prompt' })),
      ...status.undelivered
        .filter((u) => u.kind !== 'prompt')
        .map((u): Resend => ({ name: u.name, ownerId: u.personId, what: u.kind === 'final-reminder' ? 'final-reminder' : 'reminder' })),
    ];
    if (sends.length === 0) {
      io.out(`${cycleName(cycle)}：没有发送失败的填报通知或提醒。`);
      return 0;
    }
    io.out(`${cycleName(cycle)}：重发 ${sends.length} 条：${sends.map((r) => `${r.name}（${UNDELIVERED_LABEL[r.what]}）`).join('、')}`);
    if (values.inline) {
      const results: OwnerSendResult[] = [];
      const failures: string[] = [];
      for (const r of sends) {
        try {
          results.push(r.what === 'prompt' ? await sendOwnerPrompts(c, cycle.id, r.ownerId) : await sendOwnerReminder(c, cycle.id, r.ownerId, r.what === 'final-reminder'));
        } catch (e) {
          failures.push(`${r.name}（${UNDELIVERED_LABEL[r.what]}）：${(e as Error).message.slice(0, 120)}`);
        }
      }
      io.out(summarise(results));
      for (const line of failures) io.err(`仍然失败 ${line}`);
      return failures.length > 0 ? 1 : 0;
    }
    // The job of a send given up is kept as failed; a retry runs it again under its own id
    // (messages already sent are skipped by their key), a missing or finished one is enqueued afresh.
    const queue = c.queues.queue('outbound');
    const prompts: { payload: { cycleId: number; ownerId: number }; jobId: string }[] = [];
    const reminders: { payload: { cycleId: number; ownerId: number; final: boolean }; jobId: string }[] = [];
    for (const r of sends) {
      const final = r.what === 'final-reminder';
      const jobId = r.what === 'prompt' ? jobIds.prompt(cycle.id, r.ownerId) : jobIds.reminder(cycle.id, r.ownerId, final);
      const job = await queue.getJob(jobId);
      if (job && (await job.isFailed())) {
        await job.retry('failed');
        continue;
      }
      if (job && !(await job.isCompleted())) continue;
      await job?.remove();
      if (r.what === 'prompt') prompts.push({ payload: { cycleId: cycle.id, ownerId: r.ownerId }, jobId });
      else reminders.push({ payload: { cycleId: cycle.id, ownerId: r.ownerId, final }, jobId });
    }
    if (prompts.length > 0) await c.queues.enqueueBulk('prompt.send', prompts);
    if (reminders.length > 0) await c.queues.enqueueBulk('reminder.send', reminders);
    await noteWorkers(c, io, false);
    return 0;
  },
};

type Resend = { name: string; ownerId: number; what: UndeliveredKind };

async function printRescheduled(ctx: AppContext, io: CliIo): Promise<void> {
  const tz = cycleSettings(ctx.config).tz;
  for (const r of await rescheduleOpenCycles(ctx)) {
    const parts = [r.remindAt ? `催报改为 ${formatLocalTime(r.remindAt, tz)}` : '', r.dueAt ? `截止改为 ${formatLocalTime(r.dueAt, tz)}` : ''].filter(Boolean);
    io.out(`进行中的 ${kindLabel(r.kind)} ${r.periodKey}：${parts.join('，')}`);
  }
}

const actor = () => `cli:${userInfo().username}`;

const calendarAddOff: CliCommand = {
  name: 'calendar add-off',
  summary: 'add a local day off (times on it move to the next working day)',
  usage: 'calendar add-off 2026-12-01 [--note 县庆]',
  needsContext: true,
  needs: () => ({ feishu: false }),
  async run(args, ctx, io) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { note: { type: 'string' } } });
    const day = positionals[0];
    if (!day || positionals.length > 1) throw new AppError('VALIDATION', 'one date expected', { userMessage: '请给出一个日期，如 calendar add-off 2026-12-01 --note 县庆' });
    const changed = await addDayOff(ctx!.db, day, values.note ?? null, actor());
    io.out(changed ? `已将 ${day} 设为本地放假日${values.note ? `（${values.note}）` : ''}` : `${day} 已是本地放假日`);
    await printRescheduled(ctx!, io);
    return 0;
  },
};

const calendarList: CliCommand = {
  name: 'calendar list',
  summary: 'list local days off (and extra working days)',
  usage: 'calendar list [--year 2026]',
  needsContext: true,
  needs: () => ({ feishu: false }),
  async run(args, ctx, io) {
    const { values } = parseArgs({ args, options: { year: { type: 'string' } } });
    const year = values.year === undefined ? undefined : Number(values.year);
    if (year !== undefined && !Number.isInteger(year)) throw new AppError('VALIDATION', 'bad --year', { userMessage: `--year 应为年份，如 2026` });
    const rows = await listOverrides(ctx!.db, { year });
    if (rows.length === 0) io.out('没有本地放假日');
    for (const r of rows) io.out(`${r.day}  ${r.kind === 'off' ? '放假' : '上班'}  ${r.note ?? ''}  （${r.createdBy}）`.trimEnd());
    return 0;
  },
};

const calendarRemove: CliCommand = {
  name: 'calendar remove',
  summary: 'remove a local day off',
  usage: 'calendar remove 2026-12-01',
  needsContext: true,
  needs: () => ({ feishu: false }),
  async run(args, ctx, io) {
    const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
    const day = positionals[0];
    if (!day || positionals.length > 1) throw new AppError('VALIDATION', 'one date expected', { userMessage: '请给出一个日期，如 calendar remove 2026-12-01' });
    const removed = await removeOverride(ctx!.db, day);
    io.out(removed ? `已删除本地放假日 ${day}` : `${day} 不是本地放假日`);
    if (removed) await printRescheduled(ctx!, io);
    return removed ? 0 : 1;
  },
};

/** Register with `...cycleCommands` in src/cli.ts; includes the calendar commands. */
export const cycleCommands: CliCommand[] = [openCommand, remindCommand, closeCommand, statusCommand, resendCommand, calendarAddOff, calendarList, calendarRemove];
