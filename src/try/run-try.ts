// `npm run try`: the bot on this machine with nothing but PostgreSQL and Redis. It starts the
// simulated Feishu tenant with the sample city's people, the real service against it, imports
// the sample registry, opens this month's cycle, and prints the console's address: open it in a
// browser, pick a project owner, fill in his card. Ctrl-C stops everything.
//
// DATABASE_URL / REDIS_URL say which servers (default: the local ones); the data goes into its
// own database, dispatch_try (TRY_DATABASE to rename), made afresh each run and marked as made by
// this command, so a database it did not make is never dropped. TRY_PORT picks the console's port.
import pg from 'pg';
import { envValue } from '../config.js';
import { startTryEnv, TRY_ADMIN } from './try-env.js';
import { formatLocalTime } from '../cards/format.js';

const MARK = 'made by dispatch-bot `npm run try`; dropped and remade on each run';
const out = (line = '') => process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  const serverUrl = envValue('DATABASE_URL') ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const redisUrl = envValue('REDIS_URL') ?? 'redis://127.0.0.1:6379';
  const name = envValue('TRY_DATABASE') ?? 'dispatch_try';
  const port = Number(envValue('TRY_PORT') ?? 8090);
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`TRY_DATABASE must be a plain lower-case name, not ${name}`);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`TRY_PORT must be a port number, not ${envValue('TRY_PORT')}`);

  out('dispatch-bot 试用：本机模拟飞书 + 真实服务');
  const databaseUrl = await ownDatabase(serverUrl, name);
  const env = await startTryEnv({
    databaseUrl,
    redisUrl,
    queuePrefix: `try-${process.pid}`,
    port,
    scheduler: true,
    longConnection: envValue('TRY_LONG_CONNECTION') === 'true',
    logLevel: 'warn',
  }).catch((e: unknown) => {
    const msg = (e as Error).message;
    if (/EADDRINUSE/.test(msg)) throw new Error(`port ${port} is taken; run with TRY_PORT=<another port>`);
    throw e;
  });
  const tz = env.config.DISPATCH_TZ;
  out(`  数据库：${name}（每次运行重新生成）`);
  out(`  已导入示例项目库；${env.cycle.period_key} 月调度已开启：${env.projects} 个项目、${env.owners} 位负责人，截止 ${formatLocalTime(env.cycle.due_at, tz)}`);
  out(`  管理员：${TRY_ADMIN.name}（${TRY_ADMIN.mobile}）`);
  out('');
  out(`  在浏览器中打开控制台：${env.consoleUrl}`);
  out('  选一位项目负责人，在与「调度助手」的单聊里填写卡片并提交；也可以给机器人发「帮助」「我的项目」。');
  out('  按 Ctrl-C 结束。');

  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  out('\n正在停止…');
  await env.stop();
  out(`已停止。试用数据保留在数据库 ${name} 中，下次运行会重新生成。`);
}

/** Drops and remakes the try database, but only one this command made (its comment says so). */
async function ownDatabase(serverUrl: string, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: serverUrl });
  try {
    await admin.connect();
  } catch (e) {
    throw new Error(`PostgreSQL is not reachable at ${serverUrl} (${(e as Error).message}); set DATABASE_URL or start a local PostgreSQL (see README).`);
  }
  try {
    const found = await admin.query<{ mark: string | null }>('select shobj_description(oid, \'pg_database\') as mark from pg_database where datname = $1', [name]);
    if (found.rows.length > 0) {
      if (found.rows[0]?.mark !== MARK) throw new Error(`database ${name} exists and was not made by npm run try; it is left alone. Set TRY_DATABASE to another name.`);
      await admin.query(`drop database "${name}" with (force)`);
    }
    await admin.query(`create database "${name}"`);
    await admin.query(`comment on database "${name}" is '${MARK.replace(/'/g, "''")}'`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`npm run try failed: ${(e as Error).message}\n`);
    process.exit(1);
  },
);
