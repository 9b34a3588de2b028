// The SDK's JSON-only transport (json-http.ts) on its own, over plain HTTP and over HTTPS. The
// sandbox speaks HTTP, so everything else in the suite goes through the `http` branch; Feishu
// itself is `https://open.feishu.cn`, the branch only production takes. Here a local HTTPS server
// with a certificate made for the test: refused while nothing trusts it (verification is on), and
// answered in a process told to trust it (NODE_EXTRA_CA_CERTS is read only at start-up).
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpAnswerError, jsonHttpInstance } from '../../src/platform/feishu/json-http.js';

const run = promisify(execFile);

type Seen = { method: string; url: string; headers: http.IncomingHttpHeaders; body: string };

/** Answers every request with what it saw; `/status/<n>` answers n, `/slow` never answers, `/text` is not JSON. */
function echo(seen: Seen[]): http.RequestListener {
  return (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s: Seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      seen.push(s);
      if (s.url.startsWith('/slow')) return;
      const status = /^\/status\/(\d+)/.exec(s.url);
      if (s.url.startsWith('/text')) {
        res.writeHead(502, { 'content-type': 'text/html' }).end('<html>bad gateway</html>');
        return;
      }
      res.writeHead(status ? Number(status[1]) : 200, { 'content-type': 'application/json', 'x-request-id': 'r-1' });
      res.end(JSON.stringify({ code: status ? 99991663 : 0, msg: 'ok', data: { method: s.method, url: s.url, body: s.body ? JSON.parse(s.body) as unknown : null } }));
    });
  };
}

async function listen(server: http.Server | https.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

describe('json-http over HTTP', () => {
  const seen: Seen[] = [];
  const server = http.createServer(echo(seen));
  let base: string;
  const client = jsonHttpInstance(() => 1_000);

  beforeAll(async () => {
    base = `http://127.0.0.1:${await listen(server)}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('sends JSON with the query and headers the SDK built, and answers with the body', async () => {
    const answer = await client.post(`${base}/open-apis/im/v1/messages`, { receive_id: 'ou_1', content: '{"text":"你好"}' }, { params: { receive_id_type: 'open_id' }, headers: { Authorization: 'Bearer t-1' } });
    expect(answer).toEqual({ code: 0, msg: 'ok', data: { method: 'POST', url: '/open-apis/im/v1/messages?receive_id_type=open_id', body: { receive_id: 'ou_1', content: '{"text":"你好"}' } } });
    const last = seen[seen.length - 1];
    expect(last.headers.authorization).toBe('Bearer t-1');
    expect(last.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(Number(last.headers['content-length'])).toBe(Buffer.byteLength(last.body));
  });

  it('answers body and headers when the SDK asks for them', async () => {
    const answer = await client.request<{ data: { method: string } }>({ url: `${base}/x`, method: 'get', $return_headers: true }) as unknown as { data: { data: { method: string } }; headers: Record<string, string> };
    expect(answer.data.data.method).toBe('GET');
    expect(answer.headers['x-request-id']).toBe('r-1');
  });

  it('rejects a non-2xx answer with its status, body and headers, as axios would', async () => {
    const e = await client.get(`${base}/status/429`).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(HttpAnswerError);
    expect((e as HttpAnswerError).response.status).toBe(429);
    expect((e as HttpAnswerError).response.data).toMatchObject({ code: 99991663 });
    const page = await client.get(`${base}/text`).catch((err: unknown) => err);
    expect((page as HttpAnswerError).response).toMatchObject({ status: 502, data: '<html>bad gateway</html>' });
  });

  it('times out as axios does, and refuses a body that is not JSON rather than sending it wrong', async () => {
    const slow = await client.get(`${base}/slow`).catch((err: unknown) => err);
    expect(slow).toMatchObject({ code: 'ECONNABORTED', message: 'timeout of 1000ms exceeded' });
    const before = seen.length;
    await expect(client.post(`${base}/upload`, Buffer.from('file'))).rejects.toThrow(/JSON bodies only/);
    expect(seen.length).toBe(before);
  });
});

describe('json-http over HTTPS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'json-http-tls-'));
  const seen: Seen[] = [];
  let server: https.Server;
  let base: string;

  beforeAll(async () => {
    // A certificate for 127.0.0.1, valid from now (whatever clock the suite runs on) for ten years.
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '3650', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    server = https.createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, echo(seen));
    base = `https://127.0.0.1:${await listen(server)}`;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    rmSync(dir, { recursive: true, force: true });
  });

  it('verifies the server’s certificate: one nothing trusts is refused and no request reaches it', async () => {
    const e = await jsonHttpInstance(() => 5_000).get(`${base}/open-apis/x`).catch((err: unknown) => err);
    expect((e as NodeJS.ErrnoException).code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(seen).toEqual([]);
  });

  it('sends and reads JSON over TLS once the certificate is trusted', async () => {
    const script = join(dir, 'call.mts');
    writeFileSync(script, [
      `import { jsonHttpInstance } from ${JSON.stringify(resolve('src/platform/feishu/json-http.ts'))};`,
      'const client = jsonHttpInstance(() => 5_000);',
      `const answer = await client.post(${JSON.stringify(`${base}/open-apis/im/v1/messages`)}, { n: 1 }, { params: { receive_id_type: 'open_id' } });`,
      'console.log(JSON.stringify(answer));',
    ].join('\n'));
    // Its own process (the trusted CA is read at start-up), killed by the timeout whatever happens;
    // run without blocking, since the server it calls lives in this one.
    const child = await run(process.execPath, ['--import', 'tsx', script], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem') },
      encoding: 'utf8',
      timeout: 60_000,
      killSignal: 'SIGKILL',
    }).catch((e: { stdout?: string; stderr?: string; message: string }) => ({ stdout: e.stdout ?? '', stderr: e.stderr || e.message }));
    expect(child.stderr).toBe('');
    expect(JSON.parse(child.stdout)).toEqual({ code: 0, msg: 'ok', data: { method: 'POST', url: '/open-apis/im/v1/messages?receive_id_type=open_id', body: { n: 1 } } });
    expect(seen.map((s) => s.method)).toEqual(['POST']);
  }, 90_000);
});
