// The console page: pick a person, see his chats with the bot and his groups, read and use the
// cards, type or send a picture; an admin view lists every message, the request log and the rate
// counters. State comes from /console/api/*; a server-sent `change` event asks for a refresh.
import { h, isRecord, list, str } from './dom.js';
import { renderCard, type CardAction } from './card-render.js';

interface User { open_id: string; name: string; mobile: string; resigned: boolean; outOfScope: boolean }
interface Chat { chat_id: string; name: string; kind: 'p2p' | 'group'; last?: { at: number; preview: string }; messages: number }
interface Message {
  message_id: string; chat_id: string; from: 'bot' | 'user'; sender_name: string; sender_open_id?: string;
  msg_type: string; content: unknown; created_at: number; updated_at: number; edits: number; urgent: number;
}

const state = {
  bot: '调度助手',
  connected: false,
  users: [] as User[],
  me: '',
  chats: [] as Chat[],
  chat: '',
  view: 'chat' as 'chat' | 'admin',
  adminTab: 'messages' as 'messages' | 'requests' | 'limits',
};
const rendered = new Map<string, { key: string; el: HTMLElement }>();

async function getJson<T>(path: string): Promise<T> {
  const r = await fetch(path);
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return (await r.json()) as T;
}

async function postJson(path: string, body: unknown): Promise<{ ok: boolean; status: number; data: Record<string, unknown> }> {
  const r = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const data: unknown = await r.json().catch(() => ({}));
  return { ok: r.ok, status: r.status, data: isRecord(data) ? data : {} };
}

// ---- shell ----------------------------------------------------------------------------------

const el = {
  person: h('select', { id: 'person', title: '以谁的身份使用飞书' }),
  chatList: h('div', { class: 'chat-list', id: 'chat-list' }),
  chatTitle: h('div', { class: 'chat-title' }),
  chatSub: h('div', { class: 'chat-sub' }),
  messages: h('div', { class: 'messages', id: 'messages' }),
  text: h('textarea', { id: 'composer-text', rows: 2, placeholder: '发送给 调度助手' }),
  file: h('input', { type: 'file', accept: 'image/png,image/jpeg,image/gif,image/webp', id: 'composer-image', hidden: true }),
  send: h('button', { class: 'send', id: 'composer-send' }, '发送'),
  toasts: h('div', { class: 'toasts' }),
  main: h('main', { class: 'main' }),
  admin: h('section', { class: 'admin', hidden: true }),
  navChat: h('button', { class: 'nav-btn active', title: '消息' }, '💬', h('span', {}, '消息')),
  navAdmin: h('button', { class: 'nav-btn', title: '管理后台', id: 'nav-admin' }, '🛠', h('span', {}, '管理')),
  me: h('div', { class: 'avatar me' }),
  banner: h('div', { class: 'banner', hidden: true }),
};

function shell(): void {
  const picture = h('button', { class: 'tool', title: '发送图片', id: 'composer-picture', onclick: () => el.file.click() }, '🖼');
  const root = h('div', { class: 'app' },
    h('nav', { class: 'nav' }, el.me, el.navChat, el.navAdmin),
    h('aside', { class: 'sidebar' },
      h('div', { class: 'who' }, h('label', { for: 'person' }, '当前身份'), el.person),
      el.chatList),
    el.main,
    el.admin,
  );
  el.main.append(
    h('header', { class: 'chat-header' }, el.chatTitle, el.chatSub),
    el.banner,
    el.messages,
    h('footer', { class: 'composer' }, h('div', { class: 'tools' }, picture, el.file), el.text, el.send),
  );
  document.body.append(root, el.toasts);
  el.person.addEventListener('change', () => void choosePerson(el.person.value));
  el.send.addEventListener('click', () => void sendText());
  el.text.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      void sendText();
    }
  });
  el.file.addEventListener('change', () => void sendPicture());
  el.navChat.addEventListener('click', () => setView('chat'));
  el.navAdmin.addEventListener('click', () => setView('admin'));
}

function setView(view: 'chat' | 'admin'): void {
  state.view = view;
  el.navChat.classList.toggle('active', view === 'chat');
  el.navAdmin.classList.toggle('active', view === 'admin');
  el.main.hidden = view !== 'chat';
  document.querySelector<HTMLElement>('.sidebar')!.hidden = view !== 'chat';
  el.admin.hidden = view !== 'admin';
  writeHash();
  void refresh();
}

function writeHash(): void {
  const params = new URLSearchParams();
  if (state.me) params.set('u', state.me);
  if (state.chat) params.set('c', state.chat);
  if (state.view === 'admin') params.set('v', 'admin');
  history.replaceState(null, '', `#${params.toString()}`);
}

export function toast(type: string, content: string): void {
  const t = h('div', { class: `toast ${type}`, 'data-type': type, role: 'status' }, { success: '✅ ', error: '⛔ ', warning: '⚠️ ', info: 'ℹ️ ' }[type] ?? '', content);
  el.toasts.append(t);
  setTimeout(() => t.remove(), 4000);
}

function confirmDialog(title: string, text: string): Promise<boolean> {
  return new Promise((resolve) => {
    const close = (answer: boolean) => {
      overlay.remove();
      resolve(answer);
    };
    const overlay = h('div', { class: 'overlay' },
      h('div', { class: 'dialog', role: 'dialog' },
        h('div', { class: 'dialog-title' }, title),
        h('div', { class: 'dialog-text' }, text),
        h('div', { class: 'dialog-actions' },
          h('button', { class: 'c-btn default', onclick: () => close(false) }, '取消'),
          h('button', { class: 'c-btn primary_filled', id: 'dialog-ok', onclick: () => close(true) }, '确定'))));
    document.body.append(overlay);
  });
}

// ---- people and chats -------------------------------------------------------------------------

async function loadUsers(): Promise<void> {
  const data = await getJson<{ bot: string; connected: boolean; users: User[] }>('/console/api/users');
  state.bot = data.bot;
  state.connected = data.connected;
  state.users = data.users;
  el.person.replaceChildren(h('option', { value: '', disabled: true, selected: !state.me }, '选择一个人…'), ...data.users.map((u) => h('option', { value: u.open_id, selected: u.open_id === state.me }, `${u.name}（${u.mobile}）${u.outOfScope ? ' · 不在应用可见范围' : ''}`)));
  el.banner.hidden = data.connected;
  el.banner.textContent = '控制台没有连接机器人：只能查看，不能操作。';
}

async function choosePerson(openId: string): Promise<void> {
  state.me = openId;
  state.chat = '';
  rendered.clear();
  el.messages.replaceChildren();
  const user = state.users.find((u) => u.open_id === openId);
  el.me.textContent = user ? user.name.slice(-2) : '';
  el.me.title = user?.name ?? '';
  await refresh();
  const first = state.chats[0];
  if (first) await openChat(first.chat_id);
}

function renderChatList(): void {
  el.chatList.replaceChildren(
    ...state.chats.map((c) =>
      h('div', { class: `chat-item${c.chat_id === state.chat ? ' active' : ''}`, 'data-chat-id': c.chat_id, 'data-kind': c.kind, onclick: () => void openChat(c.chat_id) },
        h('div', { class: `avatar ${c.kind}` }, c.kind === 'p2p' ? '助' : '群'),
        h('div', { class: 'chat-item-text' },
          h('div', { class: 'chat-item-name' }, c.name, c.kind === 'p2p' ? h('span', { class: 'bot-tag' }, '机器人') : null),
          h('div', { class: 'chat-item-last' }, c.last?.preview ?? '暂无消息')),
        c.last ? h('div', { class: 'chat-item-time' }, clock(c.last.at)) : null),
    ),
  );
  if (state.chats.length === 0) el.chatList.append(h('div', { class: 'empty' }, state.me ? '没有会话' : '请先在上方选择一个人'));
}

async function openChat(chatId: string): Promise<void> {
  state.chat = chatId;
  rendered.clear();
  el.messages.replaceChildren();
  writeHash();
  await refresh();
  el.messages.scrollTop = el.messages.scrollHeight;
}

// ---- messages ---------------------------------------------------------------------------------

const clock = (ms: number): string => new Date(ms).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false, month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' });

function nameOf(id: string): string | undefined {
  return state.users.find((u) => u.open_id === id)?.name;
}

function messageBody(m: Message): HTMLElement {
  const c = isRecord(m.content) ? m.content : {};
  if (m.msg_type === 'interactive') {
    return renderCard(m.content, {
      act: (action) => cardAction(m, action),
      confirm: confirmDialog,
      pictureUrl: (key) => `/console/picture/${encodeURIComponent(key)}`,
      personName: nameOf,
    });
  }
  if (m.msg_type === 'text') return h('div', { class: 'bubble' }, str(c.text).replace(/@_user_\d+\s*/g, m.from === 'user' ? `@${state.bot} ` : ''));
  if (m.msg_type === 'image') return h('div', { class: 'bubble picture' }, h('img', { src: `/console/picture/${encodeURIComponent(str(c.image_key))}`, alt: '图片' }));
  if (m.msg_type === 'post') {
    const post = isRecord(c.zh_cn) ? c.zh_cn : c;
    const lines = list(post.content).map((line) => h('div', {}, list(line).filter(isRecord).map((seg) => (seg.tag === 'img' ? '[图片]' : seg.tag === 'at' ? `@${str(seg.user_name) || str(seg.user_id)}` : str(seg.text)))));
    return h('div', { class: 'bubble' }, post.title ? h('b', {}, str(post.title)) : null, lines);
  }
  return h('div', { class: 'bubble' }, `[${m.msg_type}]`);
}

function messageRow(m: Message): HTMLElement {
  const mine = m.from === 'user' && m.sender_open_id === state.me;
  const row = h('div', { class: `msg ${mine ? 'mine' : ''} ${m.msg_type === 'interactive' ? 'has-card' : ''}`, 'data-message-id': m.message_id, 'data-from': m.from, 'data-msg-type': m.msg_type },
    h('div', { class: `avatar ${m.from === 'bot' ? 'p2p' : ''}` }, m.from === 'bot' ? '助' : m.sender_name.slice(-2)),
    h('div', { class: 'msg-main' },
      h('div', { class: 'msg-meta' }, mine ? '' : m.sender_name, ' ', clock(m.created_at), m.edits > 0 ? h('span', { class: 'edited' }, ' 已更新') : null, m.urgent > 0 ? h('span', { class: 'urgent' }, ' 加急') : null),
      messageBody(m)));
  return row;
}

async function loadChat(): Promise<void> {
  if (!state.chat) {
    el.chatTitle.textContent = state.me ? '选择一个会话' : '请先选择一个人';
    el.chatSub.textContent = '';
    return;
  }
  const chat = state.chats.find((c) => c.chat_id === state.chat);
  el.chatTitle.textContent = chat?.name ?? state.chat;
  el.chatSub.textContent = chat?.kind === 'group' ? '群聊 · 发言会 @调度助手' : '机器人 · 单聊';
  el.text.placeholder = `发送给 ${chat?.name ?? ''}`;
  const data = await getJson<{ messages: Message[] }>(`/console/api/chat?chat_id=${encodeURIComponent(state.chat)}`);
  const nearBottom = el.messages.scrollHeight - el.messages.scrollTop - el.messages.clientHeight < 80;
  const before = rendered.size;
  // A card keeps its DOM (and what the person typed) until the card itself changes.
  const rows = data.messages.map((m) => {
    const key = `${m.updated_at}.${m.edits}`;
    const cached = rendered.get(m.message_id);
    if (cached && cached.key === key) return cached.el;
    const row = messageRow(m);
    rendered.set(m.message_id, { key, el: row });
    return row;
  });
  const current = [...el.messages.children];
  if (rows.length !== current.length || rows.some((r, i) => r !== current[i])) el.messages.replaceChildren(...rows);
  if (rows.length === 0) el.messages.replaceChildren(h('div', { class: 'empty' }, '还没有消息。发一句「帮助」试试。'));
  if (nearBottom || rendered.size > before) el.messages.scrollTop = el.messages.scrollHeight;
}

async function cardAction(m: Message, action: CardAction): Promise<void> {
  const r = await postJson('/console/api/card-action', { open_id: state.me, message_id: m.message_id, value: action.value, form_value: action.formValue, name: action.name, tag: action.tag });
  if (!r.ok) {
    toast('error', str(r.data.error) || `操作失败（HTTP ${r.status}）`);
    return;
  }
  if (r.data.status !== 200) {
    // What the Feishu client shows when the bot's callback fails.
    toast('error', `出错了，请稍后重试（机器人应答 HTTP ${str(r.data.status)}）`);
    return;
  }
  const answer = isRecord(r.data.answer) ? r.data.answer : {};
  const t = isRecord(answer.toast) ? answer.toast : undefined;
  if (t) toast(str(t.type) || 'info', str(t.content));
  await refresh();
}

async function sendText(): Promise<void> {
  const text = el.text.value.trim();
  if (!text || !state.chat) return;
  el.send.disabled = true;
  try {
    const r = await postJson('/console/api/message', { open_id: state.me, chat_id: state.chat, text });
    if (!r.ok) toast('error', str(r.data.error) || `发送失败（HTTP ${r.status}）`);
    else {
      el.text.value = '';
      if (r.data.status !== 200) toast('error', `机器人应答 HTTP ${str(r.data.status)}`);
    }
  } finally {
    el.send.disabled = false;
  }
  await refresh();
}

async function sendPicture(): Promise<void> {
  const file = el.file.files?.[0];
  el.file.value = '';
  if (!file || !state.chat) return;
  const dataUrl = await new Promise<string>((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(typeof reader.result === "string" ? reader.result : "");
    reader.onerror = () => reject(new Error('读取图片失败'));
    reader.readAsDataURL(file);
  });
  const r = await postJson('/console/api/image', { open_id: state.me, chat_id: state.chat, data_url: dataUrl });
  if (!r.ok) toast('error', str(r.data.error) || `发送失败（HTTP ${r.status}）`);
  await refresh();
}

// ---- admin --------------------------------------------------------------------------------------

interface AdminData {
  now: number;
  stats: Record<string, number>;
  limits: Record<string, number>;
  counters: { api: string; lastSecond: number; lastMinute: number; refused: number }[];
  messages: (Message & { chat_name: string; preview: string; bytes: number })[];
  requests: { method: string; path: string; status: number; code?: number; at: number; receiveId?: string }[];
}

const time = (ms: number): string => new Date(ms).toLocaleTimeString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false });

async function loadAdmin(): Promise<void> {
  const data = await getJson<AdminData>('/console/api/admin');
  const tab = (id: typeof state.adminTab, label: string) =>
    h('button', { class: `tab${state.adminTab === id ? ' active' : ''}`, 'data-tab': id, onclick: () => { state.adminTab = id; void loadAdmin(); } }, label);
  const stat = (label: string, value: number | undefined) => h('div', { class: 'stat' }, h('div', { class: 'stat-value' }, String(value ?? 0)), h('div', { class: 'stat-label' }, label));
  let content: HTMLElement;
  if (state.adminTab === 'messages') {
    content = h('table', { class: 'grid', id: 'admin-messages' },
      h('thead', {}, h('tr', {}, ['时间', '会话', '发送方', '类型', '内容', '更新', '大小'].map((t) => h('th', {}, t)))),
      h('tbody', {}, data.messages.map((m) => {
        const json = h('pre', { class: 'json', hidden: true }, JSON.stringify(m.content, null, 2));
        const row = h('tr', { class: 'clickable', onclick: () => (json.hidden = !json.hidden) },
          h('td', {}, time(m.created_at)), h('td', {}, m.chat_name), h('td', {}, m.sender_name), h('td', {}, m.msg_type),
          h('td', {}, m.preview, json), h('td', {}, m.edits ? String(m.edits) : ''), h('td', { class: 'num' }, `${(m.bytes / 1024).toFixed(1)} KB`));
        return row;
      })));
  } else if (state.adminTab === 'requests') {
    content = h('table', { class: 'grid', id: 'admin-requests' },
      h('thead', {}, h('tr', {}, ['时间', '方法', '路径', 'HTTP', 'code', '接收方'].map((t) => h('th', {}, t)))),
      h('tbody', {}, data.requests.map((r) => h('tr', { class: r.status >= 400 || (r.code ?? 0) !== 0 ? 'bad' : '' },
        h('td', {}, time(r.at)), h('td', {}, r.method), h('td', { class: 'path' }, r.path), h('td', {}, String(r.status)), h('td', {}, r.code === undefined ? '' : String(r.code)), h('td', {}, r.receiveId ?? '')))));
  } else {
    content = h('div', { id: 'admin-limits' },
      h('div', { class: 'stats' }, stat('接口请求', data.stats.requests), stat('触发限流 (429)', data.stats.rateLimited), stat('超出月度配额', data.stats.quotaRejected), stat('注入故障', data.stats.faultsFired), stat('消息', data.stats.messages)),
      h('h3', {}, '频控上限'),
      h('div', { class: 'stats' }, stat('每应用每秒', data.limits.appPerSecond), stat('每应用每分钟', data.limits.appPerMinute), stat('每接收方每秒', data.limits.perReceiverPerSecond), stat('每条消息更新/秒', data.limits.perMessagePatchPerSecond)),
      h('h3', {}, '各接口计数'),
      h('table', { class: 'grid' },
        h('thead', {}, h('tr', {}, ['接口', '最近 1 秒', '最近 1 分钟', '被限流'].map((t) => h('th', {}, t)))),
        h('tbody', {}, data.counters.map((c) => h('tr', {}, h('td', { class: 'path' }, c.api), h('td', { class: 'num' }, String(c.lastSecond)), h('td', { class: 'num' }, String(c.lastMinute)), h('td', { class: 'num' }, String(c.refused)))))));
  }
  el.admin.replaceChildren(
    h('header', { class: 'admin-header' }, h('h2', {}, '模拟租户管理后台'), h('div', { class: 'tabs' }, tab('messages', `全部消息 (${data.messages.length})`), tab('requests', `请求日志 (${data.stats.requests ?? 0})`), tab('limits', '限流计数'))),
    h('div', { class: 'admin-body' }, content),
  );
}

// ---- refresh loop -------------------------------------------------------------------------------

let refreshing: Promise<void> | undefined;
let again = false;

async function refresh(): Promise<void> {
  if (refreshing) {
    again = true;
    return refreshing;
  }
  refreshing = (async () => {
    do {
      again = false;
      try {
        if (state.view === 'admin') await loadAdmin();
        else {
          if (state.me) {
            state.chats = (await getJson<{ chats: Chat[] }>(`/console/api/chats?open_id=${encodeURIComponent(state.me)}`)).chats;
          }
          renderChatList();
          await loadChat();
        }
      } catch (e) {
        toast('error', (e as Error).message);
      }
    } while (again);
  })();
  try {
    await refreshing;
  } finally {
    refreshing = undefined;
  }
}

async function start(): Promise<void> {
  shell();
  const params = new URLSearchParams(location.hash.slice(1));
  await loadUsers();
  const me = params.get('u');
  if (me && state.users.some((u) => u.open_id === me)) {
    state.me = me;
    el.person.value = me;
    el.me.textContent = nameOf(me)?.slice(-2) ?? '';
    state.chat = params.get('c') ?? '';
  }
  if (params.get('v') === 'admin') setView('admin');
  await refresh();
  if (state.me && !state.chat && state.chats[0]) await openChat(state.chats[0].chat_id);
  const events = new EventSource('/console/api/events');
  events.addEventListener('change', () => void refresh());
  document.body.dataset.ready = 'true';
}

void start();
