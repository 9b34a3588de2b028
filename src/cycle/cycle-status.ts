// Where a cycle stands, per region: covered, reported on time, late, still pending, missed at
// the close, and owners who could not be prompted (no Feishu match yet, or no owner at all).
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { CycleKind } from '../db/schema.js';
import { periodLabel } from '../domain/period.js';
import type { CycleRow } from './cycle.repository.js';
import { formatLocalTime, kindLabel } from '../cards/format.js';
import { PERMANENT_FAILURE_MARK } from '../platform/feishu/outbound.js';
import { UNDELIVERED_LABEL, type UndeliveredKind } from './send-failure-report.js';

export type RegionStatus = {
  regionId: number;
  region: string;
  covered: number;
  reported: number;
  late: number;
  pending: number;
  missed: number;
  /** Distinct owners of the region's projects without an open_id. */
  unmatchedOwners: number;
  /** Covered projects without an owner in the registry. */
  ownerless: number;
};

export type CycleStatus = {
  cycle: {
    id: number;
    kind: CycleKind;
    periodKey: string;
    label: string;
    state: 'open' | 'closed';
    openAt: string;
    remindAt: string;
    dueAt: string;
    remindedAt: string | null;
    finalRemindedAt: string | null;
    closedAt: string | null;
  };
  regions: RegionStatus[];
  totals: Omit<RegionStatus, 'regionId' | 'region'>;
  unmatchedOwners: { personId: number; name: string; projects: number }[];
  /** Outbound messages of this cycle by kind and state ('prompt' → { sent: 40, failed: 1 }). */
  messages: Record<string, Record<string, number>>;
  /** Owners with a prompt that failed and is not sent yet (`cycle resend` sends them again). */
  failedPrompts: { personId: number; name: string; error: string; permanent: boolean }[];
  /**
   * Owners whose prompt or reminder was given up (refused for good, out of attempts, or its job
   * failed after stalling) and has not been delivered since, with why.
   */
  undelivered: { personId: number; name: string; kind: UndeliveredKind; reason: string; failedAt: string }[];
};

const n = (v: string | number | bigint | null): number => Number(v ?? 0);

export async function cycleStatus(db: Db, cycle: CycleRow): Promise<CycleStatus> {
  const count = (status: string) => sql<string>`count(*) filter (where cp.status = ${status})`;
  const [regionRows, unmatched, messages, failed, givenUp] = await Promise.all([
    db
      .selectFrom('cycle_projects as cp')
      .innerJoin('regions as r', 'r.id', 'cp.region_id')
      .leftJoin('people as pe', 'pe.id', 'cp.owner_id')
      .select([
        'r.id as region_id',
        'r.name as region',
        'r.sort_order',
        sql<string>`count(*)`.as('covered'),
        count('reported').as('reported'),
        count('late').as('late'),
        count('pending').as('pending'),
        count('missed').as('missed'),
        sql<string>`count(distinct cp.owner_id) filter (where cp.owner_id is not null and pe.open_id is null)`.as('unmatched'),
        sql<string>`count(*) filter (where cp.owner_id is null)`.as('ownerless'),
      ])
      .where('cp.cycle_id', '=', cycle.id)
      .groupBy(['r.id', 'r.name', 'r.sort_order'])
      .orderBy('r.sort_order')
      .orderBy('r.name')
      .execute(),
    db
      .selectFrom('cycle_projects as cp')
      .innerJoin('people as pe', 'pe.id', 'cp.owner_id')
      .select(['pe.id', 'pe.name', sql<string>`count(*)`.as('projects')])
      .where('cp.cycle_id', '=', cycle.id)
      .where('pe.open_id', 'is', null)
      .groupBy(['pe.id', 'pe.name'])
      .orderBy('pe.name')
      .execute(),
    db
      .selectFrom('outbound_messages')
      .select(['kind', 'state', sql<string>`count(*)`.as('n')])
      .where('cycle_id', '=', cycle.id)
      .groupBy(['kind', 'state'])
      .execute(),
    db
      .selectFrom('outbound_messages as m')
      .innerJoin('people as pe', 'pe.id', 'm.person_id')
      .select(['pe.id', 'pe.name', 'm.last_error'])
      .where('m.cycle_id', '=', cycle.id)
      .where('m.kind', '=', 'prompt')
      .where('m.state', '=', 'failed')
      .orderBy('pe.name')
      .orderBy('m.id')
      .execute(),
    // Delivered since (every message of that kind to the owner sent, e.g. by `cycle resend` or
    // the recovery tick) is no longer listed.
    db
      .selectFrom('delivery_failures as f')
      .innerJoin('people as pe', 'pe.id', 'f.person_id')
      .select(['pe.id', 'pe.name', 'f.kind', 'f.reason', 'f.failed_at'])
      .where('f.cycle_id', '=', cycle.id)
      .where(sql<boolean>`not (
        exists (select 1 from outbound_messages m where m.cycle_id = f.cycle_id and m.person_id = f.person_id and m.kind = f.kind)
        and not exists (select 1 from outbound_messages m where m.cycle_id = f.cycle_id and m.person_id = f.person_id and m.kind = f.kind and m.state <> 'sent'))`)
      .orderBy('pe.name')
      .orderBy('f.kind')
      .execute(),
  ]);
  const failedPrompts = new Map<number, CycleStatus['failedPrompts'][number]>();
  for (const f of failed) {
    if (failedPrompts.has(f.id)) continue;
    const err = f.last_error ?? '';
    const permanent = err.startsWith(PERMANENT_FAILURE_MARK);
    failedPrompts.set(f.id, { personId: f.id, name: f.name, error: permanent ? err.slice(PERMANENT_FAILURE_MARK.length) : err, permanent });
  }
  const regions: RegionStatus[] = regionRows.map((r) => ({
    regionId: r.region_id,
    region: r.region,
    covered: n(r.covered),
    reported: n(r.reported),
    late: n(r.late),
    pending: n(r.pending),
    missed: n(r.missed),
    unmatchedOwners: n(r.unmatched),
    ownerless: n(r.ownerless),
  }));
  const sum = (k: Exclude<keyof RegionStatus, 'regionId' | 'region'>) => regions.reduce((acc, r) => acc + r[k], 0);
  const byKind: Record<string, Record<string, number>> = {};
  for (const m of messages) (byKind[m.kind] ??= {})[m.state] = n(m.n);
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  return {
    cycle: {
      id: cycle.id,
      kind: cycle.kind,
      periodKey: cycle.period_key,
      label: periodLabel(cycle.kind, cycle.period_key),
      state: cycle.state,
      openAt: cycle.open_at.toISOString(),
      remindAt: cycle.remind_at.toISOString(),
      dueAt: cycle.due_at.toISOString(),
      remindedAt: iso(cycle.reminded_at),
      finalRemindedAt: iso(cycle.final_reminded_at),
      closedAt: iso(cycle.closed_at),
    },
    regions,
    totals: {
      covered: sum('covered'),
      reported: sum('reported'),
      late: sum('late'),
      pending: sum('pending'),
      missed: sum('missed'),
      // An owner may hold projects in several regions: count people, not region rows.
      unmatchedOwners: unmatched.length,
      ownerless: sum('ownerless'),
    },
    unmatchedOwners: unmatched.map((u) => ({ personId: u.id, name: u.name, projects: n(u.projects) })),
    messages: byKind,
    failedPrompts: [...failedPrompts.values()],
    undelivered: givenUp.map((g) => ({ personId: g.id, name: g.name, kind: g.kind, reason: g.reason, failedAt: g.failed_at.toISOString() })),
  };
}

const COLUMNS: [keyof Omit<RegionStatus, 'regionId' | 'region'>, string][] = [
  ['covered', '覆盖'],
  ['reported', '按时报送'],
  ['late', '迟报'],
  ['pending', '待报'],
  ['missed', '缺报'],
  ['unmatchedOwners', '未匹配负责人'],
  ['ownerless', '无负责人'],
];

/** Display width: CJK characters take two columns in a terminal. */
const width = (s: string): number => [...s].reduce((w, c) => w + (/[\u1100-\uFFFF]/.test(c) ? 2 : 1), 0);
const padEnd = (s: string, w: number): string => s + ' '.repeat(Math.max(0, w - width(s)));
const padStart = (s: string, w: number): string => ' '.repeat(Math.max(0, w - width(s))) + s;

/** The status as lines of text for the CLI. */
export function formatCycleStatus(s: CycleStatus, tz: string): string[] {
  const c = s.cycle;
  const at = (iso: string) => formatLocalTime(new Date(iso), tz);
  const lines = [
    `${kindLabel(c.kind)} ${c.periodKey} ${c.label}（编号 ${c.id}）：${c.state === 'open' ? '进行中' : `已截止（${at(c.closedAt!)}）`}`,
    `开启 ${at(c.openAt)} · 催报 ${at(c.remindAt)}${c.remindedAt ? '（已发）' : ''} · 截止 ${at(c.dueAt)}${c.finalRemindedAt ? '（截止提醒已发）' : ''}`,
    '',
  ];
  const rows = [...s.regions.map((r) => ({ name: r.region, v: r })), { name: '合计', v: s.totals }];
  const nameWidth = Math.max(4, ...rows.map((r) => width(r.name)));
  const widths = COLUMNS.map(([, h]) => Math.max(width(h), 4));
  lines.push([padEnd('地区', nameWidth), ...COLUMNS.map(([, h], i) => padStart(h, widths[i]))].join('  '));
  for (const r of rows) {
    lines.push([padEnd(r.name, nameWidth), ...COLUMNS.map(([k], i) => padStart(String(r.v[k]), widths[i]))].join('  '));
  }
  if (s.unmatchedOwners.length > 0) {
    lines.push('', `未匹配飞书账号、无法推送的负责人（匹配后自动补发）：${s.unmatchedOwners.map((u) => `${u.name}（${u.projects}个项目）`).join('、')}`);
  }
  const msg = Object.entries(s.messages)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([kind, states]) => `${MESSAGE_KIND[kind] ?? kind} ${Object.entries(states).map(([st, k]) => `${STATE[st] ?? st}${k}`).join('/')}`);
  if (msg.length > 0) lines.push('', `消息：${msg.join('；')}`);
  if (s.failedPrompts.length > 0) {
    lines.push('', `填报通知发送失败的负责人（排除原因后用 npm run cli -- cycle resend --kind ${c.kind} 重发）：`);
    for (const f of s.failedPrompts) lines.push(`  ${f.name}：${f.permanent ? '飞书拒收，不再自动重试' : '暂时失败，系统将自动重试'}（${f.error.slice(0, 120)}）`);
  }
  if (s.undelivered.length > 0) {
    lines.push('', '未能送达、系统已停止自动重试的通知（已通知管理员）：');
    for (const u of s.undelivered) lines.push(`  ${u.name}：${UNDELIVERED_LABEL[u.kind]}未送达（${u.reason.slice(0, 120)}）`);
  }
  return lines;
}

const MESSAGE_KIND: Record<string, string> = { prompt: '填报通知', reminder: '催报', 'final-reminder': '截止提醒', 'chat.answer': '对话回复' };
const STATE: Record<string, string> = { sent: '已发', pending: '发送中', failed: '失败' };
