// Finding 4 (bind address): the HTTP server binds loopback unless HOST says otherwise.
import { afterAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.js';
import { networkInterfaces } from 'node:os';

const harnesses: Harness[] = [];
afterAll(async () => {
  for (const h of harnesses) await h.stop();
});

const external = Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal)?.address;

describe('HOST', () => {
  it('defaults to 127.0.0.1: reachable on loopback only', async () => {
    const h = await startHarness({ workers: false });
    harnesses.push(h);
    expect(h.config.HOST).toBe('127.0.0.1');
    expect((await fetch(`http://127.0.0.1:${h.service.port}/healthz`)).status).toBe(200);
    if (external) await expect(fetch(`http://${external}:${h.service.port}/healthz`, { signal: AbortSignal.timeout(3000) })).rejects.toThrow();
  }, 60_000);
  it('HOST=0.0.0.0 binds every address (as in the Docker image)', async () => {
    const h = await startHarness({ workers: false, env: { HOST: '0.0.0.0' } });
    harnesses.push(h);
    if (external) expect((await fetch(`http://${external}:${h.service.port}/healthz`)).status).toBe(200);
    else expect((await fetch(`http://127.0.0.1:${h.service.port}/healthz`)).status).toBe(200);
  }, 60_000);
});
