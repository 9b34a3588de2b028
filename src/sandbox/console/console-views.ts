// What the console page reads: the tenant's people, a person's chats, one chat's messages as
// the client shows them, and the admin view (every message, the request log, rate counters).
import type { FakeFeishu } from '../fake-feishu.js';
import type { SandboxMessage } from '../message-store.js';

export interface ConsoleMessage {
  message_id: string;
  chat_id: string;
  from: 'bot' | 'user';
  sender_name: string;
  sender_open_id?: string;
  msg_type: string;
  content: unknown;
  created_at: number;
  updated_at: number;
  edits: number;
  urgent: number;
  parent_id?: string;
}

export interface ConsoleChat {
  chat_id: string;
  name: string;
  kind: 'p2p' | 'group';
  last?: { at: number; preview: string };
  messages: number;
}

export function usersView(fake: FakeFeishu) {
  return fake
    .users()
    .map((u) => ({ open_id: u.open_id, name: u.name, mobile: u.mobile, resigned: u.resigned, outOfScope: u.outOfScope }))
    .sort((a, b) => a.name.localeCompare(b.name, 'zh-CN'));
}

/** Everything in one chat, bot and people alike, oldest first. */
function messagesIn(fake: FakeFeishu, chatId: string): SandboxMessage[] {
  const all = [...fake.messages({ chat_id: chatId }), ...fake.messages({ chat_id: chatId, fromUsers: true })];
  // Within one millisecond a reply still comes after what it answers.
  return all.sort((a, b) => a.created_at - b.created_at || (a.parent_id === b.message_id ? 1 : b.parent_id === a.message_id ? -1 : 0));
}

function view(fake: FakeFeishu, m: SandboxMessage, botName: string): ConsoleMessage {
  const sender = m.sender_open_id ? fake.findUser({ open_id: m.sender_open_id }) : undefined;
  return {
    message_id: m.message_id,
    chat_id: m.chat_id,
    from: m.sender_open_id ? 'user' : 'bot',
    sender_name: m.sender_open_id ? (sender?.name ?? m.sender_open_id) : botName,
    sender_open_id: m.sender_open_id,
    msg_type: m.msg_type,
    content: m.content,
    created_at: m.created_at,
    updated_at: m.updated_at,
    edits: m.patches.length,
    urgent: m.urgent.length,
    parent_id: m.parent_id,
  };
}

/** One line saying what a message is, for chat lists and the admin table. */
export function preview(m: SandboxMessage): string {
  const c = m.content as Record<string, unknown> | undefined;
  if (m.msg_type === 'text' && typeof c?.text === 'string') return c.text.replace(/@_user_\d+\s*/g, '').slice(0, 60);
  if (m.msg_type === 'image') return '[图片]';
  if (m.msg_type === 'interactive') {
    const header = (c?.header as { title?: { content?: string } } | undefined)?.title?.content;
    return `[卡片] ${header ?? ''}`.trim();
  }
  return `[${m.msg_type}]`;
}

/** The person's one-to-one chat with the bot, then the groups (the tenant keeps no membership, so every group). */
export function chatsOf(fake: FakeFeishu, openId: string): ConsoleChat[] {
  const p2p = fake.p2pChatId(openId);
  const chats = fake.chats().filter((c) => c.chat_id === p2p || c.p2pOpenId === undefined);
  return chats
    .map((c) => {
      const messages = messagesIn(fake, c.chat_id);
      const last = messages.at(-1);
      return {
        chat_id: c.chat_id,
        name: c.chat_id === p2p ? '调度助手' : c.name,
        kind: c.chat_id === p2p ? ('p2p' as const) : ('group' as const),
        last: last ? { at: last.updated_at, preview: preview(last) } : undefined,
        messages: messages.length,
      };
    })
    .sort((a, b) => (a.kind === b.kind ? (b.last?.at ?? 0) - (a.last?.at ?? 0) : a.kind === 'p2p' ? -1 : 1));
}

export function chatView(fake: FakeFeishu, chatId: string, botName = '调度助手') {
  return { chat_id: chatId, messages: messagesIn(fake, chatId).map((m) => view(fake, m, botName)) };
}

const ADMIN_ROWS = 500;

export function adminView(fake: FakeFeishu) {
  const now = fake.options.now();
  const requests = fake.requests();
  const all = [...fake.messages(), ...fake.messages({ fromUsers: true })].sort((a, b) => b.created_at - a.created_at);
  const chats = new Map(fake.chats().map((c) => [c.chat_id, c.name]));
  // Per API, how many calls the app made in the limiter's two windows (what the limits count).
  const windows = new Map<string, { lastSecond: number; lastMinute: number; refused: number }>();
  for (const r of requests) {
    const key = `${r.method} ${r.path.replace(/om_[0-9a-z_]+/g, ':message_id')}`;
    const w = windows.get(key) ?? { lastSecond: 0, lastMinute: 0, refused: 0 };
    if (now - r.at < 1000) w.lastSecond++;
    if (now - r.at < 60_000) w.lastMinute++;
    if (r.status === 429) w.refused++;
    windows.set(key, w);
  }
  return {
    now,
    stats: fake.stats(),
    limits: fake.limits,
    counters: [...windows.entries()].map(([api, w]) => ({ api, ...w })).sort((a, b) => b.lastMinute - a.lastMinute),
    messages: all.slice(0, ADMIN_ROWS).map((m) => ({
      ...view(fake, m, '调度助手'),
      chat_name: chats.get(m.chat_id) ?? m.chat_id,
      preview: preview(m),
      bytes: Buffer.byteLength(m.raw_content),
    })),
    requests: requests
      .slice(-ADMIN_ROWS)
      .reverse()
      .map((r) => ({ method: r.method, path: r.path, status: r.status, code: r.code, at: r.at, receiveId: r.receiveId })),
  };
}

/** Changes whenever a page would show something new: a message, an edit, an urgent, a request. */
export function tenantRevision(fake: FakeFeishu): string {
  let edits = 0;
  let latest = 0;
  const bot = fake.messages();
  const people = fake.messages({ fromUsers: true });
  for (const m of bot) {
    edits += m.patches.length + m.urgent.length;
    latest = Math.max(latest, m.updated_at);
  }
  return `${bot.length}.${people.length}.${edits}.${latest}.${fake.stats().requests}`;
}
