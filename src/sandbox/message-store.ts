// Every message the bot sent into the simulated tenant, with its edit
// history, plus the uuid de-dup window and the delayed-update tokens.
import { randomHex } from './random-id.js';

export type ReceiveIdType = 'open_id' | 'user_id' | 'union_id' | 'email' | 'chat_id';
export const RECEIVE_ID_TYPES: readonly ReceiveIdType[] = ['open_id', 'user_id', 'union_id', 'email', 'chat_id'];

export type ContentChange = 'patch' | 'card_update' | 'callback';

export interface MessagePatch {
  at: number;
  via: ContentChange;
  content: unknown;
  raw_content: string;
}

export interface UrgentRecord {
  at: number;
  kind: 'app';
  user_ids: string[];
}

export interface SandboxMessage {
  message_id: string;
  app_id: string;
  receive_id: string;
  receive_id_type: ReceiveIdType;
  /** The receiving user, for direct messages. */
  open_id?: string;
  chat_id: string;
  msg_type: string;
  /** Current content, parsed. */
  content: unknown;
  /** Current content as the JSON string the API carries. */
  raw_content: string;
  uuid?: string;
  created_at: number;
  updated_at: number;
  /** Every content replacement, oldest first; `content` is the latest. */
  patches: MessagePatch[];
  urgent: UrgentRecord[];
  /** The message this one replies to. */
  replyTo?: string;
  root_id?: string;
  parent_id?: string;
  /** Set on messages a user sent (to the bot or a group), which Feishu keeps like any other. */
  sender_open_id?: string;
}

export type NewMessage = Omit<SandboxMessage, 'message_id' | 'updated_at' | 'patches' | 'urgent'> & { message_id?: string };

/** "Requests carrying the same uuid send at most one message within 1 hour" (docs/feishu.md §4). */
export const UUID_WINDOW_MS = 60 * 60 * 1000;
/** Delayed-update token: valid 30 minutes, at most 2 uses (docs/feishu.md §2). */
export const CARD_TOKEN_TTL_MS = 30 * 60 * 1000;
export const CARD_TOKEN_MAX_USES = 2;

interface CardToken {
  messageId: string;
  issuedAt: number;
  uses: number;
}

export type CardTokenResult = { ok: true; message: SandboxMessage } | { ok: false; reason: string };

export class MessageStore {
  private readonly messages = new Map<string, SandboxMessage>();
  private readonly byUuid = new Map<string, { messageId: string; at: number }>();
  private readonly cardTokens = new Map<string, CardToken>();
  /** Messages whose card has a user action in flight (count of open callbacks). */
  private readonly busy = new Map<string, number>();

  create(input: NewMessage): SandboxMessage {
    const message: SandboxMessage = {
      ...input,
      message_id: input.message_id ?? `om_${randomHex(16)}`,
      updated_at: input.created_at,
      patches: [],
      urgent: [],
    };
    this.messages.set(message.message_id, message);
    if (input.uuid) this.byUuid.set(`${input.app_id}/${input.uuid}`, { messageId: message.message_id, at: input.created_at });
    return message;
  }

  /** The message an earlier request with this uuid created, if within the window. */
  findByUuid(appId: string, uuid: string, now: number): SandboxMessage | undefined {
    const hit = this.byUuid.get(`${appId}/${uuid}`);
    if (!hit || now - hit.at >= UUID_WINDOW_MS) return undefined;
    return this.messages.get(hit.messageId);
  }

  get(messageId: string): SandboxMessage | undefined {
    return this.messages.get(messageId);
  }

  /** All messages, oldest first (newest last). */
  list(filter: { receive_id?: string; msg_type?: string; chat_id?: string; fromUsers?: boolean } = {}): SandboxMessage[] {
    return [...this.messages.values()].filter(
      (m) =>
        // By default the bot's messages only; users' own messages on request.
        Boolean(m.sender_open_id) === Boolean(filter.fromUsers) &&
        (!filter.receive_id || m.receive_id === filter.receive_id || m.open_id === filter.receive_id) &&
        (!filter.msg_type || m.msg_type === filter.msg_type) &&
        (!filter.chat_id || m.chat_id === filter.chat_id),
    );
  }

  replaceContent(messageId: string, raw: string, content: unknown, via: ContentChange, at: number): SandboxMessage | undefined {
    const message = this.messages.get(messageId);
    if (!message) return undefined;
    message.raw_content = raw;
    message.content = content;
    message.updated_at = at;
    message.patches.push({ at, via, content, raw_content: raw });
    return message;
  }

  addUrgent(messageId: string, userIds: string[], at: number): void {
    this.messages.get(messageId)?.urgent.push({ at, kind: 'app', user_ids: userIds });
  }

  issueCardToken(messageId: string, at: number): string {
    const token = `c-${randomHex(20)}`;
    this.cardTokens.set(token, { messageId, issuedAt: at, uses: 0 });
    return token;
  }

  /** The message a delayed-update token belongs to, without spending it. */
  cardTokenMessage(token: string): SandboxMessage | undefined {
    const entry = this.cardTokens.get(token);
    return entry ? this.messages.get(entry.messageId) : undefined;
  }

  /** Spends one use of a delayed-update token. */
  useCardToken(token: string, now: number): CardTokenResult {
    const entry = this.cardTokens.get(token);
    if (!entry) return { ok: false, reason: 'unknown token' };
    if (now - entry.issuedAt >= CARD_TOKEN_TTL_MS) return { ok: false, reason: 'token expired (30 min)' };
    if (entry.uses >= CARD_TOKEN_MAX_USES) return { ok: false, reason: 'token used up (2 uses)' };
    const message = this.messages.get(entry.messageId);
    if (!message) return { ok: false, reason: 'message of token not found' };
    entry.uses += 1;
    return { ok: true, message };
  }

  /** A user acted on the card; until endAction it is locked against updates. */
  beginAction(messageId: string): void {
    this.busy.set(messageId, (this.busy.get(messageId) ?? 0) + 1);
  }

  endAction(messageId: string): void {
    const n = (this.busy.get(messageId) ?? 0) - 1;
    if (n > 0) this.busy.set(messageId, n);
    else this.busy.delete(messageId);
  }

  isBusy(messageId: string): boolean {
    return this.busy.has(messageId);
  }

  count(): number {
    return this.messages.size;
  }

  clear(): void {
    this.messages.clear();
    this.byUuid.clear();
    this.cardTokens.clear();
    this.busy.clear();
  }
}
