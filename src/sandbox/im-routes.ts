// im/v1/messages: create, reply, patch and urgent_app, with the documented
// rules (docs/feishu.md §1, §4): uuid de-dup for 1 h, receivers must be in the
// bot's scope (230013) or the bot in the chat (230002), 30 KB cards (230025),
// patches only within 14 days (230031) and only for shared cards.
import { CARD_LOCKED } from './card-checks.js';
import { CODES, fieldViolationBody } from './feishu-codes.js';
import { fail, ok, type ApiReply } from './http-util.js';
import { checkContent, isSharedCard } from './message-content.js';
import { RECEIVE_ID_TYPES, type ReceiveIdType, type SandboxMessage } from './message-store.js';
import { route, type RateKeys, type Route, type RouteContext, type Tenant } from './tenant.js';

export const PATCH_WINDOW_MS = 14 * 24 * 60 * 60 * 1000;
const MAX_UUID_LENGTH = 50;
const MAX_URGENT_IDS = 200;

/** The `data` object Feishu returns for a message. */
export function messageData(m: SandboxMessage, tenantKey: string): Record<string, unknown> {
  return {
    message_id: m.message_id,
    ...(m.root_id ? { root_id: m.root_id } : {}),
    ...(m.parent_id ? { parent_id: m.parent_id } : {}),
    msg_type: m.msg_type,
    create_time: String(m.created_at),
    update_time: String(m.updated_at),
    deleted: false,
    updated: m.patches.length > 0,
    chat_id: m.chat_id,
    sender: { id: m.app_id, id_type: 'app_id', sender_type: 'app', tenant_key: tenantKey },
    body: { content: m.raw_content },
  };
}

type Receiver = { chat_id: string; open_id?: string } | { error: ApiReply };

function resolveReceiver(tenant: Tenant, type: ReceiveIdType, id: string): Receiver {
  if (type === 'chat_id') {
    return tenant.directory.findChat(id) ? { chat_id: id } : { error: fail(CODES.botNotInChat) };
  }
  const user = tenant.directory.findUserBy(type, id);
  // Resigned users also answer 230013 (docs/feishu.md §4).
  if (!user || user.resigned) return { error: fail(CODES.noAvailability) };
  return { chat_id: tenant.directory.p2pChatFor(user), open_id: user.open_id };
}

function receiveIdType(ctx: RouteContext): ReceiveIdType | undefined {
  const value = ctx.query.get('receive_id_type');
  return RECEIVE_ID_TYPES.find((t) => t === value);
}

function sendRateKeys(ctx: RouteContext): RateKeys {
  const type = receiveIdType(ctx);
  const id = ctx.body?.receive_id;
  if (!type || typeof id !== 'string') return {};
  const target = resolveReceiver(ctx.tenant, type, id);
  return { receiver: 'chat_id' in target ? target.chat_id : `${type}:${id}` };
}

function replyRateKeys(ctx: RouteContext): RateKeys {
  const parent = ctx.tenant.store.get(ctx.params.message_id ?? '');
  return parent ? { receiver: parent.chat_id } : {};
}

function checkUuid(ctx: RouteContext): ApiReply | undefined {
  const uuid = ctx.body?.uuid;
  if (uuid === undefined) return undefined;
  if (typeof uuid !== 'string' || uuid.length === 0 || uuid.length > MAX_UUID_LENGTH) {
    return { status: 400, body: fieldViolationBody([{ field: 'uuid', description: `uuid must be 1-${MAX_UUID_LENGTH} characters` }]) };
  }
  return undefined;
}

/** A repeated uuid within the hour answers with the original message and creates nothing. */
function replayByUuid(ctx: RouteContext): ApiReply | undefined {
  const uuid = ctx.body?.uuid;
  if (typeof uuid !== 'string') return undefined;
  const earlier = ctx.tenant.store.findByUuid(ctx.appId, uuid, ctx.tenant.now());
  return earlier ? ok(messageData(earlier, ctx.tenant.tenantKey)) : undefined;
}

/** A file message names a file this tenant holds: {"file_key": "file_v3_…"} from im/v1/files. */
function checkFileKey(ctx: RouteContext, msgType: unknown, content: unknown): ApiReply | undefined {
  if (msgType !== 'file') return undefined;
  const key = (content as { file_key?: unknown }).file_key;
  if (typeof key !== 'string' || key === '') return fail(CODES.invalidParam, 'file content needs a "file_key" string');
  return ctx.tenant.files.has(key) ? undefined : fail(CODES.invalidParam, `file_key ${key} not found`);
}

function createMessage(ctx: RouteContext): ApiReply {
  const type = receiveIdType(ctx);
  if (!type) {
    return { status: 400, body: fieldViolationBody([{ field: 'receive_id_type', description: 'receive_id_type is required' }]) };
  }
  const body = ctx.body;
  if (!body) return fail(CODES.invalidParam, 'body must be a JSON object');
  const receiveId = body.receive_id;
  if (typeof receiveId !== 'string' || receiveId === '') {
    return { status: 400, body: fieldViolationBody([{ field: 'receive_id', description: 'receive_id is required' }]) };
  }
  ctx.note.receiveId = receiveId;
  const uuidError = checkUuid(ctx);
  if (uuidError) return uuidError;
  const replay = replayByUuid(ctx);
  if (replay) return replay;
  const target = resolveReceiver(ctx.tenant, type, receiveId);
  if ('error' in target) return target.error;
  const checked = checkContent(body.msg_type, body.content);
  if (!checked.ok) return fail(checked.error, checked.detail);
  const badFile = checkFileKey(ctx, body.msg_type, checked.content);
  if (badFile) return badFile;
  const message = ctx.tenant.store.create({
    app_id: ctx.appId,
    receive_id: receiveId,
    receive_id_type: type,
    open_id: target.open_id,
    chat_id: target.chat_id,
    msg_type: body.msg_type as string,
    content: checked.content,
    raw_content: body.content as string,
    uuid: typeof body.uuid === 'string' ? body.uuid : undefined,
    created_at: ctx.tenant.now(),
  });
  return ok(messageData(message, ctx.tenant.tenantKey));
}

function replyMessage(ctx: RouteContext): ApiReply {
  const body = ctx.body;
  if (!body) return fail(CODES.invalidParam, 'body must be a JSON object');
  const parent = ctx.tenant.store.get(ctx.params.message_id ?? '');
  if (!parent) return fail(CODES.invalidParam, 'message_id not found');
  ctx.note.receiveId = parent.chat_id;
  const uuidError = checkUuid(ctx);
  if (uuidError) return uuidError;
  const replay = replayByUuid(ctx);
  if (replay) return replay;
  const checked = checkContent(body.msg_type, body.content);
  if (!checked.ok) return fail(checked.error, checked.detail);
  const badFile = checkFileKey(ctx, body.msg_type, checked.content);
  if (badFile) return badFile;
  const message = ctx.tenant.store.create({
    app_id: ctx.appId,
    receive_id: parent.chat_id,
    receive_id_type: 'chat_id',
    open_id: parent.open_id,
    chat_id: parent.chat_id,
    msg_type: body.msg_type as string,
    content: checked.content,
    raw_content: body.content as string,
    uuid: typeof body.uuid === 'string' ? body.uuid : undefined,
    created_at: ctx.tenant.now(),
    replyTo: parent.message_id,
    root_id: parent.root_id ?? parent.message_id,
    parent_id: parent.message_id,
  });
  return ok(messageData(message, ctx.tenant.tenantKey));
}

function patchMessage(ctx: RouteContext): ApiReply {
  const message = ctx.tenant.store.get(ctx.params.message_id ?? '');
  if (!message) return fail(CODES.invalidParam, 'message_id not found');
  // "The calling identity must be the identity that sent the card."
  if (message.app_id !== ctx.appId) return fail(CODES.invalidParam, 'message was not sent by this app');
  if (message.msg_type !== 'interactive') return fail(CODES.invalidParam, 'only interactive (card) messages can be patched');
  const now = ctx.tenant.now();
  if (now - message.created_at > PATCH_WINDOW_MS) return fail(CODES.messageExpired);
  if (ctx.tenant.store.isBusy(message.message_id)) return fail(CARD_LOCKED);
  const checked = checkContent('interactive', ctx.body?.content);
  if (!checked.ok) return fail(checked.error, checked.detail);
  if (!isSharedCard(message.content) || !isSharedCard(checked.content)) return fail(CODES.cardNotShared);
  ctx.tenant.store.replaceContent(message.message_id, ctx.body?.content as string, checked.content, 'patch', now);
  return ok({});
}

function urgentApp(ctx: RouteContext): ApiReply {
  const message = ctx.tenant.store.get(ctx.params.message_id ?? '');
  if (!message) return fail(CODES.invalidParam, 'message_id not found');
  const list = ctx.body?.user_id_list;
  if (!Array.isArray(list) || list.length === 0 || !list.every((id) => typeof id === 'string')) {
    return { status: 400, body: fieldViolationBody([{ field: 'user_id_list', description: 'user_id_list is required' }]) };
  }
  if (list.length > MAX_URGENT_IDS) {
    return { status: 400, body: fieldViolationBody([{ field: 'user_id_list', description: `at most ${MAX_URGENT_IDS} ids` }]) };
  }
  const idType = ctx.query.get('user_id_type') ?? 'open_id';
  if (idType !== 'open_id' && idType !== 'user_id' && idType !== 'union_id') {
    return { status: 400, body: fieldViolationBody([{ field: 'user_id_type', description: 'invalid user_id_type' }]) };
  }
  const ids = list;
  // "Users must be in the message's chat": in a one-to-one chat that is the one user. Group
  // membership is not modelled, so any directory user counts as a member of a group.
  const chat = ctx.tenant.directory.findChat(message.chat_id);
  const inChat = (id: string): boolean => {
    const user = ctx.tenant.directory.findUserBy(idType, id);
    return Boolean(user) && (!chat?.p2pOpenId || user?.open_id === chat.p2pOpenId);
  };
  const invalid = ids.filter((id) => !inChat(id));
  const valid = ids.filter((id) => !invalid.includes(id));
  // When no id is valid Feishu refuses the whole call (feishu-facts, "Urgent").
  if (valid.length === 0) return fail(CODES.invalidParam, '(no user in user_id_list is in the chat of the message)');
  ctx.tenant.store.addUrgent(message.message_id, valid, ctx.tenant.now());
  return ok({ invalid_user_id_list: invalid });
}

export const imRoutes: Route[] = [
  route('POST', '/open-apis/im/v1/messages', { api: 'im.send', metered: true, rateKeys: sendRateKeys, handle: createMessage }),
  route('POST', '/open-apis/im/v1/messages/:message_id/reply', {
    api: 'im.send',
    metered: true,
    rateKeys: replyRateKeys,
    handle: replyMessage,
  }),
  route('PATCH', '/open-apis/im/v1/messages/:message_id', {
    api: 'im.patch',
    metered: true,
    rateKeys: (ctx) => ({ message: ctx.params.message_id }),
    handle: patchMessage,
  }),
  route('PATCH', '/open-apis/im/v1/messages/:message_id/urgent_app', { api: 'im.urgent', metered: true, handle: urgentApp }),
];
