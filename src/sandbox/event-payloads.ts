// Payload factories for what Feishu pushes to a bot: schema 2.0
// im.message.receive_v1 events and card.action.trigger callbacks
// (docs/feishu.md §2 and §5). Pure functions; the driver adds transport.
import { randomHex } from './random-id.js';

export interface Identity {
  open_id: string;
  union_id?: string;
  user_id?: string;
}

export interface Mention {
  key: string;
  id: Identity;
  name: string;
}

export interface EnvelopeInput {
  appId: string;
  tenantKey: string;
  verificationToken: string;
  eventId?: string;
  /** ms since epoch. */
  now: number;
}

export const newEventId = (): string => randomHex(16);
export const newMessageId = (): string => `om_${randomHex(16)}`;

function header(input: EnvelopeInput, eventType: string): Record<string, unknown> {
  return {
    event_id: input.eventId ?? newEventId(),
    event_type: eventType,
    // Header create_time is in microseconds (docs/feishu.md §2).
    create_time: String(input.now * 1000),
    token: input.verificationToken,
    app_id: input.appId,
    tenant_key: input.tenantKey,
  };
}

export interface MessageEventInput extends EnvelopeInput {
  sender: Identity;
  chatId: string;
  chatType: 'p2p' | 'group';
  messageId: string;
  messageType: string;
  /** The content JSON string, e.g. {"text":"@_user_1 hello"}. */
  content: string;
  mentions?: Mention[];
  rootId?: string;
  parentId?: string;
}

export function messageReceiveEvent(input: MessageEventInput): Record<string, unknown> {
  return {
    schema: '2.0',
    header: header(input, 'im.message.receive_v1'),
    event: {
      sender: { sender_id: input.sender, sender_type: 'user', tenant_key: input.tenantKey },
      message: {
        message_id: input.messageId,
        ...(input.rootId ? { root_id: input.rootId } : {}),
        ...(input.parentId ? { parent_id: input.parentId } : {}),
        create_time: String(input.now),
        update_time: String(input.now),
        chat_id: input.chatId,
        chat_type: input.chatType,
        message_type: input.messageType,
        content: input.content,
        ...(input.mentions && input.mentions.length > 0
          ? { mentions: input.mentions.map((m) => ({ ...m, tenant_key: input.tenantKey })) }
          : {}),
      },
    },
  };
}

export interface CardActionInput extends EnvelopeInput {
  operator: Identity;
  /** Delayed-update token, "c-…". */
  updateToken: string;
  openMessageId: string;
  openChatId: string;
  value: Record<string, unknown>;
  tag: string;
  name?: string;
  formValue?: Record<string, unknown>;
  inputValue?: string;
}

export interface BotAddedInput extends EnvelopeInput {
  chatId: string;
  /** Who added the bot. */
  operator: Identity;
  name: string;
  external?: boolean;
}

/**
 * im.chat.member.bot.added_v1, pushed to a bot when a user adds it to a group (not when a bot
 * adds it): event {chat_id, operator_id {union_id, user_id, open_id}, external,
 * operator_tenant_key, name, i18n_names}.
 */
export function botAddedEvent(input: BotAddedInput): Record<string, unknown> {
  return {
    schema: '2.0',
    header: header(input, 'im.chat.member.bot.added_v1'),
    event: {
      chat_id: input.chatId,
      operator_id: input.operator,
      external: input.external ?? false,
      operator_tenant_key: input.tenantKey,
      name: input.name,
      i18n_names: { zh_cn: input.name },
    },
  };
}

export function cardActionTrigger(input: CardActionInput): Record<string, unknown> {
  return {
    schema: '2.0',
    // header.token is the Verification Token; event.token the update token.
    header: header(input, 'card.action.trigger'),
    event: {
      operator: { tenant_key: input.tenantKey, ...input.operator },
      token: input.updateToken,
      action: {
        value: input.value,
        tag: input.tag,
        ...(input.name ? { name: input.name } : {}),
        ...(input.formValue ? { form_value: input.formValue } : {}),
        ...(input.inputValue !== undefined ? { input_value: input.inputValue } : {}),
        timezone: 'Asia/Shanghai',
      },
      host: 'im_message',
      context: { open_message_id: input.openMessageId, open_chat_id: input.openChatId },
    },
  };
}

export function urlVerificationPayload(verificationToken: string, challenge: string): Record<string, unknown> {
  return { challenge, token: verificationToken, type: 'url_verification' };
}
