// The console: a web page at `/` of the sandbox that plays the Feishu client for any person in
// the simulated tenant. The page reads the tenant's state through /console/api/*, and every
// action a person takes there (a card button, a form, a message, an image) goes to the bot
// through the FeishuDriver, i.e. exactly as Feishu would deliver it: signed and encrypted to
// the callback URL, or over the long connection. Changes are pushed to the page with SSE.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { FeishuDriver } from '../callback-driver.js';
import type { FakeFeishu } from '../fake-feishu.js';
import { isRecord, parseJsonObject, readBody, sendJson } from '../http-util.js';
import { adminView, chatView, chatsOf, tenantRevision, usersView } from './console-views.js';
import { consoleBundle } from './console-bundle.js';

export interface ConsoleOptions {
  /** Delivers what a person does to the bot; without one the page is read-only. */
  driver?: FeishuDriver;
  /** Shown in the page's title bar, e.g. the bot's name. */
  botName?: string;
}

interface ConsoleState {
  options: ConsoleOptions;
  /** Pictures people sent from the page, so the page can show them again (the tenant keeps only metadata). */
  pictures: Map<string, { type: string; data: Buffer }>;
}

const consoles = new WeakMap<FakeFeishu, ConsoleState>();

/** Connects the console of a sandbox to a bot (or replaces the connection). */
export function attachConsole(fake: FakeFeishu, options: ConsoleOptions): void {
  const existing = consoles.get(fake);
  if (existing) existing.options = options;
  else consoles.set(fake, { options, pictures: new Map() });
}

const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));
const STATIC: Record<string, string> = {
  '/': 'index.html',
  '/console/console.css': 'console.css',
};
const MIME: Record<string, string> = { html: 'text/html; charset=utf-8', css: 'text/css; charset=utf-8' };
const SSE_POLL_MS = 150;
const MAX_PICTURE_BYTES = 10 * 1024 * 1024;

/** Serves the console's routes; answers false for any other path so the Open API handles it. */
export async function serveConsole(fake: FakeFeishu, req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
  const path = url.pathname;
  if (path !== '/' && !path.startsWith('/console/')) return false;
  let state = consoles.get(fake);
  if (!state) {
    state = { options: {}, pictures: new Map() };
    consoles.set(fake, state);
  }
  const method = req.method ?? 'GET';
  const file = STATIC[path];
  if (method === 'GET' && file) {
    const body = await readFile(`${PUBLIC_DIR}${file}`);
    res.writeHead(200, { 'content-type': MIME[file.split('.').pop() ?? ''] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
    res.end(body);
    return true;
  }
  if (method === 'GET' && path === '/console/app.js') {
    const js = await consoleBundle();
    res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' });
    res.end(js);
    return true;
  }
  if (method === 'GET' && path === '/console/api/events') {
    streamChanges(fake, req, res);
    return true;
  }
  if (method === 'GET' && path.startsWith('/console/picture/')) {
    const picture = state.pictures.get(decodeURIComponent(path.slice('/console/picture/'.length)));
    if (!picture) {
      res.writeHead(404).end();
      return true;
    }
    res.writeHead(200, { 'content-type': picture.type, 'cache-control': 'max-age=3600' });
    res.end(picture.data);
    return true;
  }
  await api(fake, state, method, path, url.searchParams, req, res);
  return true;
}

async function api(
  fake: FakeFeishu,
  state: ConsoleState,
  method: string,
  path: string,
  query: URLSearchParams,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const key = `${method} ${path}`;
  if (key === 'GET /console/api/users') return sendJson(res, 200, { bot: state.options.botName ?? '调度助手', connected: Boolean(state.options.driver), users: usersView(fake) });
  if (key === 'GET /console/api/chats') {
    const openId = query.get('open_id') ?? '';
    if (!fake.findUser({ open_id: openId })) return sendJson(res, 404, { error: `没有这个人：${openId}` });
    return sendJson(res, 200, { chats: chatsOf(fake, openId) });
  }
  if (key === 'GET /console/api/chat') {
    const chatId = query.get('chat_id') ?? '';
    return sendJson(res, 200, chatView(fake, chatId));
  }
  if (key === 'GET /console/api/admin') return sendJson(res, 200, adminView(fake));

  const driver = state.options.driver;
  const body = parseJsonObject(await readBody(req));
  if (!body) return sendJson(res, 400, { error: 'body must be a JSON object' });
  if (!driver) return sendJson(res, 503, { error: '控制台未连接机器人：启动沙箱时请给出机器人的回调地址' });
  const operator = typeof body.open_id === 'string' ? fake.findUser({ open_id: body.open_id }) : undefined;
  if (!operator) return sendJson(res, 400, { error: '请先选择一个人' });

  try {
    if (key === 'POST /console/api/card-action') {
      const messageId = typeof body.message_id === 'string' ? body.message_id : '';
      if (!fake.message(messageId)) return sendJson(res, 404, { error: '卡片已不存在' });
      const result = await driver.cardAction({
        operatorOpenId: operator.open_id,
        messageId,
        value: isRecord(body.value) ? body.value : {},
        formValue: isRecord(body.form_value) ? body.form_value : undefined,
        name: typeof body.name === 'string' ? body.name : undefined,
        tag: typeof body.tag === 'string' ? body.tag : undefined,
      });
      return sendJson(res, 200, { status: result.status, elapsedMs: result.elapsedMs, answer: result.body });
    }
    if (key === 'POST /console/api/message' || key === 'POST /console/api/image') {
      const chatId = typeof body.chat_id === 'string' ? body.chat_id : '';
      const chat = fake.chats().find((c) => c.chat_id === chatId);
      if (!chat) return sendJson(res, 404, { error: '没有这个会话' });
      const group = chat.p2pOpenId === undefined;
      let messageType = 'text';
      let content: string;
      if (key === 'POST /console/api/message') {
        const text = typeof body.text === 'string' ? body.text.trim() : '';
        if (text === '') return sendJson(res, 400, { error: '消息不能为空' });
        // In a group the bot only hears messages that @mention it; the client adds the mention.
        content = JSON.stringify({ text: group ? `@_user_1 ${text}` : text });
      } else {
        const picture = decodePicture(body.data_url);
        if (!picture) return sendJson(res, 400, { error: '只能发送 10 MB 以内的 PNG、JPEG、GIF 或 WebP 图片' });
        const imageKey = `img_v3_console_${randomBytes(10).toString('hex')}`;
        state.pictures.set(imageKey, picture);
        messageType = 'image';
        content = JSON.stringify({ image_key: imageKey });
      }
      const result = await driver.sendMessageEvent({
        senderOpenId: operator.open_id,
        chatType: group ? 'group' : 'p2p',
        chatId,
        messageType,
        content,
        mentions: group && messageType === 'text' ? [{ key: '@_user_1', id: { open_id: 'ou_console_bot' }, name: state.options.botName ?? '调度助手' }] : undefined,
      });
      return sendJson(res, 200, { status: result.status, elapsedMs: result.elapsedMs, messageId: result.messageId });
    }
  } catch (e) {
    // The bot did not answer at all (down, wrong URL, timed out): the person sees why.
    return sendJson(res, 502, { error: `机器人没有应答：${(e as Error).message}` });
  }
  return sendJson(res, 404, { error: `no console route ${key}` });
}

function decodePicture(value: unknown): { type: string; data: Buffer } | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^data:(image\/(?:png|jpeg|gif|webp));base64,([A-Za-z0-9+/=]+)$/.exec(value);
  if (!m?.[1] || !m[2]) return undefined;
  const data = Buffer.from(m[2], 'base64');
  if (data.length === 0 || data.length > MAX_PICTURE_BYTES) return undefined;
  return { type: m[1], data };
}

/**
 * Server-sent events: one `change` event whenever anything a page shows changed (a message, an
 * edit, a request). The tenant has no change feed of its own, so the stream compares a cheap
 * revision of it on a short timer; it stops with the connection.
 */
function streamChanges(fake: FakeFeishu, req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  let last = '';
  const push = (): void => {
    const revision = tenantRevision(fake);
    if (revision === last) return;
    last = revision;
    res.write(`event: change\ndata: ${JSON.stringify({ revision })}\n\n`);
  };
  push();
  const timer = setInterval(push, SSE_POLL_MS);
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
  const stop = (): void => {
    clearInterval(timer);
    clearInterval(heartbeat);
  };
  req.on('close', stop);
  res.on('error', stop);
}
