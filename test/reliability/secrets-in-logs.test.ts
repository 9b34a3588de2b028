// (i) No secret in any log line, and the SDK's own messages kept: the app secret, Encrypt Key,
// Verification Token, tenant access tokens and card update tokens never appear in what the
// service logs, while the SDK's warnings (e.g. a failed signature check) arrive with their words.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { HARNESS_APP, startHarness, type Harness } from '../helpers/harness.js';
import { makePerson, makeProject } from '../helpers/factories.js';
import { sendOwnerPrompts } from '../../src/cycle/prompt.service.js';
import { createCycleWithCoverage } from '../../src/cycle/cycle.repository.js';

let h: Harness;
const lines: string[] = [];
const sink = new Writable({
  write(chunk: Buffer, _e, cb) {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    cb();
  },
});

beforeAll(async () => {
  h = await startHarness({ logger: createLogger('trace', { stream: sink }) });
}, 60_000);
afterAll(async () => {
  await h?.stop();
});

describe('secrets and SDK messages in the log', () => {
  it('keeps the SDK warning about a forged signature, with its words', async () => {
    const r = await h.driver.cardAction({ operatorOpenId: 'ou_forger', messageId: 'om_x', value: { action: 'noop' } }, { forgeSignature: true });
    expect(r.status).toBe(401);
    const sdk = lines.map((l) => JSON.parse(l) as { sdk?: boolean; msg?: string; level: string }).filter((l) => l.sdk);
    expect(sdk.some((l) => l.level === 'warn' && /verification failed/.test(l.msg ?? ''))).toBe(true);
    expect(sdk.every((l) => (l.msg ?? '') !== '')).toBe(true);
  });

  it('writes none of the secrets or tokens while sending, failing and answering', async () => {
    const openId = h.fake.addUser({ name: '保密测试', mobile: '13900002222' });
    const owner = await makePerson(h.ctx.db, { name: '保密测试', mobile: '13900002222', openId });
    await makeProject(h.ctx.db, { code: 'XMSECRET1', name: '保密项目', frequency: 'monthly', ownerId: owner.id });
    const at = new Date('2026-11-20T01:00:00Z');
    const { cycle } = await createCycleWithCoverage(h.ctx.db, { kind: 'monthly', periodKey: '2026-11', openAt: at, remindAt: at, dueAt: new Date('2026-11-25T10:00:00Z'), openedAt: at });
    // A token that expires mid-way and a 500 on the first send: the failure paths log too.
    h.fake.expireAllTokens();
    h.fake.injectFault({ match: { method: 'POST', path: '/open-apis/im/v1/messages' }, kind: 'status', status: 500, times: 1 });
    await sendOwnerPrompts(h.ctx, cycle.id, owner.id);
    const card = h.fake.messages({ receive_id: openId })[0];
    const { token } = await h.driver.cardAction({ operatorOpenId: openId, messageId: card.message_id, value: { action: 'noop' } });
    await h.driver.cardAction({ operatorOpenId: openId, messageId: card.message_id, value: { action: 'noop' } }, { wrongToken: true });

    const text = lines.join('\n');
    expect(lines.length).toBeGreaterThan(5);
    for (const secret of [HARNESS_APP.appSecret, HARNESS_APP.encryptKey, HARNESS_APP.verificationToken, token]) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/\bt-[0-9a-f]{20,}/);
  });
});
