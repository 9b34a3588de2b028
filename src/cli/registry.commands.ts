// Registry commands: import the office's project sheets, match people to Feishu users,
// grant admin/delegate roles, set department contacts, and list projects, people and departments.
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import type { AppContext } from '../platform/app-context.js';
import { isAppError } from '../errors.js';
import type { CliCommand, CliIo } from './command.js';
import { parseStage } from '../registry/cell-parsers.js';
import { formatSetContact, listDepartments, renderDepartmentTable, setDepartmentContact } from '../registry/department-contacts.js';
import { formatImportOutcome, formatMatchOutcome } from '../registry/import-report.js';
import { grantRole, listPeople, renderPeopleTable, revokeRole } from '../registry/people-directory.js';
import { syncPeople } from '../registry/people-matcher.js';
import { listProjects, renderProjectTable, type ProjectFilter } from '../registry/project-list.js';
import { importRegistry } from '../registry/registry-import.js';
import { readSourceFile } from '../registry/sheet-reader.js';
import { dispatchYearMonth } from '../registry/ytd-column.js';

type Options = NonNullable<Parameters<typeof parseArgs>[0]>['options'];
type Parsed = { values: Record<string, string | boolean | undefined>; positionals: string[] };

/** Exit codes: 0 done, 1 refused (bad data, not found, Feishu down), 2 wrong usage. */
const EXIT_USAGE = 2;

class UsageError extends Error {}

function parse(args: string[], options: Options, positionals: number): Parsed {
  let parsed: Parsed;
  try {
    const r = parseArgs({ args, options, allowPositionals: true, strict: true });
    parsed = { values: r.values, positionals: r.positionals };
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (parsed.positionals.length !== positionals) {
    throw new UsageError(`expected ${positionals} argument(s), got ${parsed.positionals.length}`);
  }
  return parsed;
}

function defaultActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

/** Shared wrapping: usage errors → exit 2, coded errors → their Chinese message and exit 1. */
function command(
  spec: Omit<CliCommand, 'run' | 'needsContext' | 'needs'> & { feishu: boolean | ((args: string[]) => boolean) },
  run: (args: string[], ctx: AppContext, io: CliIo) => Promise<number>,
): CliCommand {
  const { feishu, ...rest } = spec;
  return {
    ...rest,
    needsContext: true,
    needs: (args) => ({ feishu: typeof feishu === 'function' ? feishu(args) : feishu }),
    async run(args, ctx, io) {
      if (!ctx) {
        io.err('该命令需要数据库连接（请检查 DATABASE_URL 等配置）');
        return 1;
      }
      try {
        return await run(args, ctx, io);
      } catch (e) {
        if (e instanceof UsageError) {
          io.err(`参数错误：${e.message}`);
          io.err(`用法：npm run cli -- ${spec.usage}`);
          return EXIT_USAGE;
        }
        if (isAppError(e) && (e.code === 'VALIDATION' || e.code === 'NOT_FOUND')) {
          io.err(e.userMessage);
          return 1;
        }
        throw e;
      }
    },
  };
}

const str = (v: string | boolean | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

/** `--year 2026`: the year of the sheet's year-to-date column (whether it is plausible is the importer's call). */
function yearOption(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const text = v.normalize('NFKC').trim().replace(/年$/, '');
  if (!/^\d{4}$/.test(text)) throw new UsageError(`--year 应为四位年份，如 2026（收到“${v}”）`);
  return Number(text);
}

export const registryCommands: CliCommand[] = [
  command(
    {
      name: 'import',
      // A dry run and --no-match never reach Feishu; a real import matches people by mobile.
      feishu: (args) => !args.includes('--dry-run') && !args.includes('--no-match'),
      summary: '导入项目清单（.xlsx/.csv）：按项目编号新增或更新，并匹配飞书用户',
      usage: 'import <file.xlsx|file.csv> [--dry-run] [--sheet NAME] [--retire-missing] [--actor NAME] [--no-match] [--year YYYY]',
    },
    async (args, ctx, io) => {
      const { values, positionals } = parse(args, {
        'dry-run': { type: 'boolean' },
        sheet: { type: 'string' },
        'retire-missing': { type: 'boolean' },
        actor: { type: 'string' },
        'no-match': { type: 'boolean' },
        year: { type: 'string' },
      }, 1);
      const [path = ''] = positionals;
      const year = yearOption(str(values.year));
      const file = await readSourceFile(path);
      const outcome = await importRegistry(
        { db: ctx.db, lark: values['no-match'] ? undefined : ctx.lark, logger: ctx.logger, now: ctx.now, tz: ctx.config.DISPATCH_TZ },
        {
          file,
          sheet: str(values.sheet),
          dryRun: values['dry-run'] === true,
          retireMissing: values['retire-missing'] === true,
          actor: str(values.actor) ?? defaultActor(),
          match: values['no-match'] !== true,
          year,
        },
      );
      const lines = formatImportOutcome(outcome);
      lines.out.forEach((l) => io.out(l));
      lines.err.forEach((l) => io.err(l));
      return outcome.ok ? 0 : 1;
    },
  ),
  command(
    { name: 'people sync', feishu: true, summary: '为尚未匹配的人员重新查找飞书账号（按手机号/邮箱）', usage: 'people sync' },
    async (args, ctx, io) => {
      parse(args, {}, 0);
      try {
        const outcome = await syncPeople({ db: ctx.db, lark: ctx.lark, logger: ctx.logger, now: ctx.now });
        formatMatchOutcome(outcome, 200).forEach((l) => io.out(l));
        return outcome.status === 'done' ? 0 : 1;
      } catch (e) {
        formatMatchOutcome({ status: 'failed', error: isAppError(e) ? `${e.userMessage}（${e.message}）` : (e as Error).message })
          .forEach((l) => io.err(l));
        return 1;
      }
    },
  ),
  command(
    {
      name: 'people grant',
      feishu: false,
      summary: '授予管理员（admin）或某项目的联络员（delegate）权限',
      usage: 'people grant <mobile> admin|delegate [--project CODE] [--name 姓名] [--actor NAME]',
    },
    async (args, ctx, io) => {
      const { values, positionals } = parse(args, { project: { type: 'string' }, name: { type: 'string' }, actor: { type: 'string' } }, 2);
      const [mobile, role] = positionals as [string, string];
      const r = await grantRole(
        { db: ctx.db, logger: ctx.logger, now: ctx.now },
        { mobile, role: role as 'admin', projectCode: str(values.project), name: str(values.name), actor: str(values.actor) ?? defaultActor() },
      );
      const what = role === 'admin' ? '管理员' : `项目 ${str(values.project) ?? ''} 的联络员`;
      if (r.created) io.out(`已新增人员（手机号 ${r.mobile}），待运行 people sync 匹配飞书账号`);
      io.out(r.status === 'granted' ? `已授予 ${r.mobile} ${what}权限` : `${r.mobile} 已经是${what}，未作修改`);
      return 0;
    },
  ),
  command(
    {
      name: 'people revoke',
      feishu: false,
      summary: '撤销管理员或联络员权限',
      usage: 'people revoke <mobile> admin|delegate [--project CODE] [--actor NAME]',
    },
    async (args, ctx, io) => {
      const { values, positionals } = parse(args, { project: { type: 'string' }, actor: { type: 'string' } }, 2);
      const [mobile, role] = positionals as [string, string];
      const r = await revokeRole(
        { db: ctx.db, logger: ctx.logger },
        { mobile, role: role as 'admin', projectCode: str(values.project), actor: str(values.actor) ?? defaultActor() },
      );
      if (r.removed === 0) {
        io.err(`${r.mobile} 没有该权限，未作修改`);
        return 1;
      }
      io.out(`已撤销 ${r.mobile} 的${role === 'admin' ? '管理员' : `项目 ${str(values.project) ?? ''} 联络员`}权限`);
      return 0;
    },
  ),
  command(
    { name: 'people list', feishu: false, summary: '列出人员、飞书匹配状态和角色', usage: 'people list [--unmatched] [--json]' },
    async (args, ctx, io) => {
      const { values } = parse(args, { unmatched: { type: 'boolean' }, json: { type: 'boolean' } }, 0);
      const people = await listPeople(ctx.db, { unmatched: values.unmatched === true });
      if (values.json) io.out(JSON.stringify(people, null, 2));
      else renderPeopleTable(people).forEach((l) => io.out(l));
      return 0;
    },
  ),
  command(
    {
      name: 'projects list',
      feishu: false,
      summary: '列出项目清单及本年累计完成投资（可按地区、阶段、清单筛选）',
      usage: 'projects list [--region 地区] [--stage 阶段] [--list 清单] [--inactive|--all] [--json]',
    },
    async (args, ctx, io) => {
      const { values } = parse(args, {
        region: { type: 'string' },
        stage: { type: 'string' },
        list: { type: 'string' },
        inactive: { type: 'boolean' },
        all: { type: 'boolean' },
        json: { type: 'boolean' },
      }, 0);
      const filter: ProjectFilter = { region: str(values.region), list: str(values.list) };
      const stageArg = str(values.stage);
      if (stageArg !== undefined) {
        const stage = parseStage(stageArg);
        if (!stage.ok) throw new UsageError(stage.reason);
        filter.stage = stage.value;
      }
      if (values.inactive && values.all) throw new UsageError('--inactive and --all cannot be combined');
      filter.state = values.all ? 'all' : values.inactive ? 'inactive' : 'active';
      const projects = await listProjects(ctx.db, filter);
      if (values.json) io.out(JSON.stringify(projects, null, 2));
      else {
        const { year } = dispatchYearMonth(ctx.now(), ctx.config.DISPATCH_TZ);
        renderProjectTable(projects, { year, showState: filter.state !== 'active' }).forEach((l) => io.out(l));
      }
      return 0;
    },
  ),
  command(
    {
      name: 'departments list',
      feishu: false,
      summary: '列出责任单位及其联系人、飞书匹配状态、在用项目数和待办问题数',
      usage: 'departments list [--json]',
    },
    async (args, ctx, io) => {
      const { values } = parse(args, { json: { type: 'boolean' } }, 0);
      const departments = await listDepartments(ctx.db);
      if (values.json) io.out(JSON.stringify(departments, null, 2));
      else renderDepartmentTable(departments).forEach((l) => io.out(l));
      return 0;
    },
  ),
  command(
    {
      name: 'departments contact',
      feishu: true,
      summary: '设置责任单位联系人（问题由其受理办结），并匹配其飞书账号',
      usage: 'departments contact <部门名称> <mobile> [--name 姓名] [--actor NAME]',
    },
    async (args, ctx, io) => {
      const { values, positionals } = parse(args, { name: { type: 'string' }, actor: { type: 'string' } }, 2);
      const [department, mobile] = positionals as [string, string];
      const r = await setDepartmentContact(
        { db: ctx.db, lark: ctx.lark, logger: ctx.logger, now: ctx.now },
        { department, mobile, name: str(values.name), actor: str(values.actor) ?? defaultActor() },
      );
      formatSetContact(r).forEach((l) => io.out(l));
      return 0;
    },
  ),
];
