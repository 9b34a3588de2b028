// Findings 3 and 4 (intake): a callback without an event id, stale or future-dated deliveries,
// oversized bodies and an unsigned URL check while an Encrypt Key is set are all refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HARNESS_APP, startHarness, type Harness } from '../helpers/harness.js';
import { postRaw, signedDelivery } from './raw-delivery.js';

let h: Harness;
let url: string;
let ownerOpenId: string;

beforeAll(async () => {
  h = await startHarness({ workers: false });
  url = `http://127.0.0.1:${h.service.port}/lark/events`;
  ownerOpenId = h.fake.addUser({ name: '路人甲', mobile: '13900001111' });
}, 60_000);
afterAll(async () => {
  await h?.stop();
});

/** A real card-action payload as the driver builds it (delivered once so the driver has it). */
async function cardPayload(): Promise<Record<string, unknown>> {
  await h.driver.cardAction({ operatorOpenId: ownerOpenId, messageId: 'om_none', value: { action: 'noop' } });
  return structuredClone(h.driver.last!.payload);
}

describe('deliveries the bot refuses', () => {
  it('a card callback without header.event_id, every time (no key to make it exactly-once)', async () => {
    const payload = await cardPayload();
    delete (payload.header as Record<string, unknown>).event_id;
    for (let i = 0; i < 2; i++) {
      const d = signedDelivery(payload, HARNESS_APP.encryptKey);
      const r = await postRaw(url, d.body, d.headers);
      expect(r.status).toBe(400);
    }
    const stored = await h.ctx.db.selectFrom('inbound_events').select('dedupe_key').where('dedupe_key', 'like', '%undefined%').execute();
    expect(stored).toEqual([]);
  });

  it.each([
    ['30 days old', -30 * 24 * 3600],
    ['a year ahead', 365 * 24 * 3600],
    ['6 minutes old', -6 * 60],
    ['6 minutes ahead', 6 * 60],
  ])('a correctly signed delivery %s', async (_label, offset) => {
    const payload = await cardPayload();
    (payload.header as Record<string, unknown>).event_id = `ev_stale_${offset}`;
    const d = signedDelivery(payload, HARNESS_APP.encryptKey, Math.floor(Date.now() / 1000) + offset);
    const r = await postRaw(url, d.body, d.headers);
    expect(r.status).toBe(401);
  });

  it('but one signed 4 minutes ago is taken', async () => {
    const payload = await cardPayload();
    (payload.header as Record<string, unknown>).event_id = 'ev_recent_ok';
    const d = signedDelivery(payload, HARNESS_APP.encryptKey, Math.floor(Date.now() / 1000) - 240);
    expect((await postRaw(url, d.body, d.headers)).status).toBe(200);
  });

  it('a body over 1 MiB is answered 413, and the server keeps serving', async () => {
    const big = JSON.stringify({ encrypt: 'A'.repeat(1024 * 1024 + 10) });
    const r = await postRaw(url, big);
    expect(r.status).toBe(413);
    expect((await fetch(`http://127.0.0.1:${h.service.port}/healthz`)).status).toBe(200);
  });

  it('an unsigned url_verification while an Encrypt Key is set', async () => {
    const plain = await h.driver.urlVerification({ unsigned: true });
    expect(plain.status).toBe(401);
    const signed = await h.driver.urlVerification();
    expect(signed.status).toBe(200);
    expect(signed.body).toEqual({ challenge: signed.challenge });
  });
});
