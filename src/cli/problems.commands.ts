// `problems list` and `problems show <编号>`: the problem ledger (问题台账) for the dispatch office.
import { parseArgs } from 'node:util';
import { DateTime } from 'luxon';
import type { ProblemStatus } from '../db/schema.js';
import { AppError } from '../errors.js';
import { cycleSettings } from '../cycle/cycle-config.js';
import { renderTable } from '../platform/text-table.js';
import { historyLine } from '../cards/problem.card.js';
import { findProblemByNumber, listProblems, problemHistory, type ProblemRecord } from '../problems/problem.repository.js';
import { OPEN_STATUSES, STATUS_LABELS } from '../domain/problem-state.js';
import type { CliCommand } from './command.js';

const STATUSES = Object.keys(STATUS_LABELS) as ProblemStatus[];

/** `--status open` means every status still on someone's desk; a single status is named exactly. */
function parseStatus(value: string | undefined): readonly ProblemStatus[] | undefined {
  if (value === undefined || value === 'all') return undefined;
  if (value === 'unclosed') return OPEN_STATUSES;
  if ((STATUSES as string[]).includes(value)) return [value as ProblemStatus];
  throw new AppError('VALIDATION', `bad --status ${value}`, {
    userMessage: `--status 只能是 ${STATUSES.join('、')}、unclosed（未闭环）或 all，不是“${value}”`,
  });
}

function asJson(p: ProblemRecord) {
  return {
    number: p.number,
    status: p.status,
    region: p.regionName,
    projectCode: p.project.code,
    project: p.project.name,
    category: p.category,
    description: p.description,
    department: p.department,
    needsCityCoordination: p.needsCityCoordination,
    raisedBy: p.raisedBy,
    raisedAt: p.raisedAt.toISOString(),
    resolutionNote: p.resolutionNote,
  };
}

export const problemCommands: CliCommand[] = [
  {
    name: 'problems list',
    summary: 'list the problem ledger (问题台账), newest first',
    usage: 'problems list [--status open|in_coordination|resolved|confirmed|reopened|unclosed|all] [--region 区县] [--json]',
    needsContext: true,
    needs: () => ({ feishu: false }),
    async run(args, ctx, io) {
      const { values } = parseArgs({ args, options: { status: { type: 'string' }, region: { type: 'string' }, json: { type: 'boolean', default: false } } });
      const statuses = parseStatus(values.status);
      const list = await listProblems(ctx!.db, { ...(statuses ? { statuses } : {}), ...(values.region ? { region: values.region } : {}) });
      if (values.json) {
        io.out(JSON.stringify(list.map(asJson), null, 2));
        return 0;
      }
      if (list.length === 0) {
        io.out('没有符合条件的问题');
        return 0;
      }
      const { tz } = cycleSettings(ctx!.config);
      const rows = list.map((p) => [
        p.number,
        STATUS_LABELS[p.status],
        p.regionName,
        p.project.name,
        p.category,
        p.department ?? '待分派',
        p.needsCityCoordination ? '是' : '',
        DateTime.fromJSDate(p.raisedAt, { zone: tz }).toISODate() ?? '',
      ]);
      const table = renderTable(
        [{ header: '编号' }, { header: '状态' }, { header: '区县' }, { header: '项目', maxWidth: 30 }, { header: '类别' }, { header: '责任单位', maxWidth: 16 }, { header: '市级协调' }, { header: '提出日期' }],
        rows,
      );
      for (const line of table) io.out(line);
      io.out(`共 ${list.length} 个问题`);
      return 0;
    },
  },
  {
    name: 'problems show',
    summary: 'one problem with its full history',
    usage: 'problems show <编号，如 WT2026-0001>',
    needsContext: true,
    needs: () => ({ feishu: false }),
    async run(args, ctx, io) {
      const number = args[0];
      if (!number) throw new AppError('VALIDATION', 'problem number missing', { userMessage: '请给出问题编号，如 problems show WT2026-0001' });
      const p = await findProblemByNumber(ctx!.db, number);
      if (!p) throw new AppError('NOT_FOUND', `no problem ${number}`, { userMessage: `没有编号为 ${number} 的问题` });
      const { tz } = cycleSettings(ctx!.config);
      io.out(`${p.number}  ${STATUS_LABELS[p.status]}${p.needsCityCoordination ? '  需市级协调' : ''}`);
      io.out(`项目：${p.project.name}（${p.project.code}，${p.regionName}）`);
      io.out(`类别：${p.category}`);
      io.out(`责任单位：${p.department ?? '待分派'}`);
      io.out(`描述：${p.description}`);
      if (p.resolutionNote) io.out(`办理情况：${p.resolutionNote}`);
      io.out('经过：');
      for (const e of await problemHistory(ctx!.db, p.id)) io.out(`  ${historyLine(e, tz)}`);
      return 0;
    },
  },
];
