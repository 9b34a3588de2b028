// The standalone sandbox's options: the app's credentials, Encrypt Key, Verification Token and
// callback URL; listening beyond loopback; a directory seeded from the same spreadsheets the
// registry import reads (xlsx, GBK CSV, header variants).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { decryptPayload, runSandbox, signPayload } from '../../src/sandbox/index.js';
import { parseSandboxArgs } from '../../src/sandbox/standalone-args.js';
import { CONTACTS_CSV, FIXTURE_CSV, fixtureXlsx } from '../registry/registry-helpers.js';
import { noopLogger, onCleanup, sdkClient } from './sandbox-helpers.js';

async function tempFile(name: string, content: string | Buffer): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sandbox-standalone-'));
  onCleanup(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

async function start(opts: Parameters<typeof runSandbox>[0]) {
  const lines: string[] = [];
  const handle = await runSandbox({ print: (l) => lines.push(l), logger: noopLogger, ...opts });
  onCleanup(handle.stop);
  return { ...handle, banner: lines.join('\n') };
}

/** The people of the registry fixture: owners, leaders and vice-mayors, each once by mobile. */
function fixturePeople(csv: string): Map<string, string> {
  const [header, ...rows] = csv.trim().split('\n').map((l) => l.split(','));
  const people = new Map<string, string>();
  for (const [nameCol, mobileCol] of [['项目负责人', '负责人手机'], ['包保领导', '包保领导手机'], ['分管副市长', '分管副市长手机'], ['责任单位联系人', '责任单位联系人手机']]) {
    const n = header.indexOf(nameCol);
    const m = header.indexOf(mobileCol);
    if (n < 0 || m < 0) continue;
    for (const row of rows) if (row[m]) people.set(row[m], row[n]);
  }
  return people;
}

describe('sandbox command-line options', () => {
  it('parses every option', () => {
    expect(
      parseSandboxArgs([
        '--port', '9000', '--host', '0.0.0.0', '--app-id', 'cli_a1b2c3d4e5f60718', '--app-secret', 's3cret',
        '--encrypt-key', 'ek', '--verification-token', 'vt', '--callback-url', 'http://bot:3000/lark/events', '--seed', 'r.xlsx',
      ]),
    ).toEqual({
      port: 9000, host: '0.0.0.0', appId: 'cli_a1b2c3d4e5f60718', appSecret: 's3cret', encryptKey: 'ek',
      verificationToken: 'vt', callbackUrl: 'http://bot:3000/lark/events', seedFile: 'r.xlsx',
    });
    expect(parseSandboxArgs([])).toMatchObject({ port: 8081, host: undefined, appId: undefined, callbackUrl: undefined });
  });

  it.each([
    [['--port', 'eighty'], /--port/],
    [['--app-id', 'myapp'], /--app-id 须形如 cli_/],
    [['--callback-url', 'ftp://bot/events'], /--callback-url 须为 http/],
    [['--app-secret', ' '], /--app-secret 不能为空/],
    [['--colour', 'red'], /参数有误/],
  ])('refuses %j with a clear message', (args, message) => {
    expect(() => parseSandboxArgs(args)).toThrow(expect.objectContaining({ userMessage: expect.stringMatching(message) }) as Error);
  });
});

describe('runSandbox options', () => {
  it('serves tokens for the given app id and secret only', async () => {
    const appId = 'cli_a1b2c3d4e5f60718';
    const { fake, banner } = await start({ port: 0, appId, appSecret: 'office-secret' });
    expect(banner).toContain(appId);
    expect(banner).toContain('office-secret');
    const ok = await sdkClient(fake, appId, 'office-secret').contact.user.batchGetId({ data: { mobiles: ['13800000000'] } });
    expect(ok.code).toBe(0);
    const wrong = sdkClient(fake, appId, 'sandbox-secret').contact.user.batchGetId({ data: { mobiles: ['13800000000'] } });
    await expect(wrong).rejects.toThrow();
    const defaults = sdkClient(fake).contact.user.batchGetId({ data: { mobiles: ['13800000000'] } });
    await expect(defaults).rejects.toThrow();
  });

  it('listens beyond loopback with --host 0.0.0.0, still reachable on 127.0.0.1', async () => {
    const { fake, url } = await start({ port: 0, host: '0.0.0.0' });
    expect(fake.listening()?.address).toBe('0.0.0.0');
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${url}/_sandbox/users`);
    expect(res.status).toBe(200);
  });

  it('delivers to the callback URL, encrypted and signed with the Encrypt Key, carrying the Verification Token', async () => {
    const bodies: Array<{ headers: Record<string, string | string[] | undefined>; body: string }> = [];
    const bot = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => bot.listen(0, '127.0.0.1', resolve));
    onCleanup(() => new Promise<void>((resolve) => bot.close(() => resolve())));
    const callbackUrl = `http://127.0.0.1:${(bot.address() as AddressInfo).port}/lark/events`;
    const { fake, driver, banner } = await start({ port: 0, encryptKey: 'office-encrypt-key', verificationToken: 'office-token', callbackUrl });
    expect(banner).toContain(`POST ${callbackUrl}`);
    const ou = fake.addUser({ name: '杜磊秀', mobile: '13900000001' });
    await driver.sendMessageEvent({ senderOpenId: ou, text: '帮助', chatType: 'p2p' });

    expect(bodies).toHaveLength(1);
    const { headers, body } = bodies[0];
    const encrypted = (JSON.parse(body) as { encrypt: string }).encrypt;
    const payload = JSON.parse(decryptPayload(encrypted, 'office-encrypt-key')) as { header: { token: string; app_id: string } };
    expect(payload.header).toMatchObject({ token: 'office-token', app_id: 'cli_5a4db0c0ffee0001' });
    expect(headers['x-lark-signature']).toBe(
      signPayload(String(headers['x-lark-request-timestamp']), String(headers['x-lark-request-nonce']), 'office-encrypt-key', body),
    );
  });

  it('delivers over the long connection when no callback URL is given', async () => {
    const { driver, banner } = await start({ port: 0 });
    expect(driver.viaWebSocket).toBe(true);
    expect(banner).toContain('long connection');
  });
});

describe('--seed reads the spreadsheets the registry import reads', () => {
  const expected = fixturePeople(FIXTURE_CSV);

  async function seededUsers(path: string): Promise<Map<string, string>> {
    const { fake, banner } = await start({ port: 0, seedFile: path });
    expect(banner).toContain(`seeded from ${path}`);
    return new Map(fake.users().map((u) => [u.mobile, u.name]));
  }

  it('an xlsx workbook', async () => {
    expect(await seededUsers(await tempFile('registry.xlsx', fixtureXlsx()))).toEqual(expected);
  });

  it('a GBK CSV, as Excel on a Chinese Windows saves it', async () => {
    expect(await seededUsers(await tempFile('registry.csv', iconv.encode(FIXTURE_CSV, 'gbk')))).toEqual(expected);
  });

  it('header variants, a title row above the header and department contacts', async () => {
    const variant = CONTACTS_CSV.replace('项目负责人,负责人手机', '填报人,填报人手机号').replace('包保领导,包保领导手机', '包保市领导,包保市领导联系电话');
    const withTitle = `2026年重点项目清单（单位：万元）\n${variant}`;
    const canonical = await seededUsers(await tempFile('canonical.csv', CONTACTS_CSV));
    expect(canonical.get('13800003001')).toBe('林峰');
    expect(await seededUsers(await tempFile('清单.csv', withTitle))).toEqual(canonical);
  });

  it('a JSON list of users', async () => {
    const users = await seededUsers(await tempFile('users.json', JSON.stringify([{ name: '王五', mobile: '+86 139-0000-0009' }])));
    expect(users).toEqual(new Map([['13900000009', '王五']]));
  });

  it('refuses a bad mobile with its row and column, and a sheet that is not a registry', async () => {
    const bad = FIXTURE_CSV.replace('13900000001', '1390000000');
    await expect(start({ port: 0, seedFile: await tempFile('bad.csv', bad) })).rejects.toThrow(
      expect.objectContaining({ userMessage: expect.stringMatching(/第2行“负责人手机”列/) }) as Error,
    );
    await expect(start({ port: 0, seedFile: await tempFile('nobody.csv', '项目编号,项目名称,总投资\nXM1,雷打滩,100\n') })).rejects.toThrow(
      expect.objectContaining({ userMessage: expect.stringContaining('缺少必填列') }) as Error,
    );
  });

});
