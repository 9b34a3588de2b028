import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { FakeFeishu, normalizeMobile, runSandbox } from '../../src/sandbox/index.js';
import { onCleanup } from './sandbox-helpers.js';

const REGISTRY_HEADER =
  '项目编号,项目名称,项目法人,建设地点,所属地区,行业类别,项目阶段,所属清单,调度频次,总投资(万元),年度计划投资(万元),投资主体,计划开工日期,计划竣工日期,项目负责人,负责人手机,包保领导,包保领导手机,分管副市长,分管副市长手机,责任单位';

async function tempFile(name: string, content: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sandbox-dir-'));
  onCleanup(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, name);
  await writeFile(path, content, 'utf8');
  return path;
}

describe('directory', () => {
  it('normalises mainland mobiles with or without +86', () => {
    expect(normalizeMobile('+86 138-0000-1001')).toBe('13800001001');
    expect(normalizeMobile('8613800001001')).toBe('13800001001');
    expect(normalizeMobile('13800001001')).toBe('13800001001');
    expect(normalizeMobile('+85291234567')).toBe('+85291234567');
  });

  it('derives stable ids from the mobile', () => {
    const a = new FakeFeishu().addUser({ name: '甲', mobile: '13800001001' });
    const b = new FakeFeishu().addUser({ name: '甲', mobile: '+8613800001001' });
    expect(a).toBe(b);
    expect(a).toMatch(/^ou_[0-9a-f]{32}$/);
  });

  it('seeds the people of a registry CSV, deduplicated by mobile', async () => {
    const csv = [
      `\uFEFF${REGISTRY_HEADER}`,
      'XM2026001,巡检司电厂,公司,某镇,天城县,能源,续建,在建项目,每周,265561,60000,民间投资,2024-02-15,2029-12-31,杜磊秀,13900000001,周敏,13800002002,王建国,13800001001,市发改委',
      'XM2026002,"雷打滩水电站,二期",公司,某镇,天城县,能源,续建,在建项目,每月,60372,18000,民间投资,2024-07-15,2027-12-31,赵辉敏,13900000002,周敏,13800002002,王建国,13800001001,市水务局',
    ].join('\r\n');
    const fake = new FakeFeishu();
    expect(await fake.seedDirectoryFromFile(await tempFile('projects.csv', csv))).toBe(4);
    expect(fake.users().map((u) => u.name).sort()).toEqual(['周敏', '杜磊秀', '王建国', '赵辉敏'].sort());
    expect(fake.findUser({ mobile: '+8613800001001' })?.name).toBe('王建国');
  });

  it('seeds a JSON array of users', async () => {
    const fake = new FakeFeishu();
    const path = await tempFile('users.json', JSON.stringify([{ name: '周敏', mobile: '13800002002', email: 'zm@example.gov.cn', open_id: 'ou_fixed' }]));
    await fake.seedDirectoryFromFile(path);
    expect(fake.findUser({ email: 'zm@example.gov.cn' })?.open_id).toBe('ou_fixed');
  });
});

describe('runSandbox', () => {
  it('starts, prints the credentials and serves tokens', async () => {
    const lines: string[] = [];
    const sigintListeners = process.listenerCount('SIGINT');
    const { fake, stop } = await runSandbox({ port: 0, print: (l) => lines.push(l), logger: pino({ level: 'silent' }) });
    onCleanup(stop);
    expect(process.listenerCount('SIGINT')).toBe(sigintListeners + 1);
    expect(lines.join('\n')).toContain(fake.url);
    expect(lines.join('\n')).toContain('cli_5a4db0c0ffee0001');
    const res = await fetch(`${fake.url}/open-apis/auth/v3/tenant_access_token/internal`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ app_id: 'cli_5a4db0c0ffee0001', app_secret: 'sandbox-secret' }),
    });
    expect(await res.json()).toMatchObject({ code: 0 });
    await stop();
    expect(process.listenerCount('SIGINT')).toBe(sigintListeners);
  });
});
