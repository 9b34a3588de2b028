import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { createLogger, withLogContext } from '../../src/logger.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { lines, stream };
}

describe('logger', () => {
  it('writes JSON lines carrying the request, event or job id of the work in hand', async () => {
    const { lines, stream } = capture();
    const log = createLogger('info', { stream });
    await withLogContext({ requestId: 'req-1' }, async () => {
      log.info('outer');
      await withLogContext({ jobId: 'job-9', job: 'prompt.send' }, async () => log.info({ n: 1 }, 'inner'));
    });
    log.info('outside');
    expect(lines.map((l) => [l.msg, l.requestId, l.jobId, l.level])).toEqual([
      ['outer', 'req-1', undefined, 'info'],
      ['inner', 'req-1', 'job-9', 'info'],
      ['outside', undefined, undefined, 'info'],
    ]);
  });

  it('never writes a secret, wherever it sits in the logged object', () => {
    const { lines, stream } = capture();
    const log = createLogger('info', { stream });
    log.info(
      {
        appSecret: 'S1', encryptKey: 'K1', token: 'c-T1', tenant_access_token: 't-abc',
        headers: { authorization: 'Bearer t-abc' },
        config: { LARK_APP_SECRET: 'S2', LARK_ENCRYPT_KEY: 'K2', LARK_VERIFICATION_TOKEN: 'V2', DATABASE_URL: 'postgres://u:pw@h/db' },
      },
      'with secrets',
    );
    const text = JSON.stringify(lines);
    for (const secret of ['S1', 'K1', 'c-T1', 't-abc', 'S2', 'K2', 'V2', 'pw@h']) expect(text).not.toContain(secret);
    expect(text).toContain('[redacted]');
  });
});
