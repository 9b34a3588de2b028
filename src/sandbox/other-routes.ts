// The non-message Open APIs the bot uses: delayed card update, image and file upload
// and contact lookup by mobile/email.
import { randomBytes } from 'node:crypto';
import { normalizeMobile, type SandboxUser } from './directory.js';
import { CARD_LIFETIME_MS, CARD_LOCKED, refuseCard } from './card-checks.js';
import { CODES, fieldViolationBody } from './feishu-codes.js';
import { fail, isRecord, ok, parseMultipart, type ApiReply } from './http-util.js';
import { CARD_MAX_BYTES } from './message-content.js';
import { route, type Route, type RouteContext } from './tenant.js';

export const IMAGE_MAX_BYTES = 10 * 1024 * 1024;
/** im/v1/files: "文件大小不得超过 30 MB，且不允许上传空文件". */
export const FILE_MAX_BYTES = 30 * 1024 * 1024;
/** The documented file_type values; anything else is uploaded as `stream`. */
export const FILE_TYPES = ['opus', 'mp4', 'pdf', 'doc', 'xls', 'ppt', 'stream'] as const;
const BATCH_GET_ID_MAX = 50;

/**
 * POST /open-apis/interactive/v1/card/update {token, card}: the token from a
 * card.action.trigger callback, valid 30 min and for 2 uses; card ≤ 30 KB
 * (docs/feishu.md §2).
 */
function delayedCardUpdate(ctx: RouteContext): ApiReply {
  const token = ctx.body?.token;
  const card = ctx.body?.card;
  if (typeof token !== 'string' || !isRecord(card)) {
    return { status: 400, body: fieldViolationBody([{ field: 'token/card', description: 'token and card are required' }]) };
  }
  const raw = JSON.stringify(card);
  if (Buffer.byteLength(raw) > CARD_MAX_BYTES) return fail(CODES.contentTooLong);
  const refused = refuseCard(card);
  if (refused) return fail(refused);
  const target = ctx.tenant.store.cardTokenMessage(token);
  // Checked before the token is spent: a refused update does not use up one of its two uses.
  if (target && ctx.tenant.now() - target.created_at > CARD_LIFETIME_MS) return fail(CODES.messageExpired);
  if (target && ctx.tenant.store.isBusy(target.message_id)) return fail(CARD_LOCKED);
  const spent = ctx.tenant.store.useCardToken(token, ctx.tenant.now());
  if (!spent.ok) return fail(CODES.cardTokenInvalid, `(${spent.reason})`);
  ctx.note.receiveId = spent.message.chat_id;
  ctx.tenant.store.replaceContent(spent.message.message_id, raw, card, 'card_update', ctx.tenant.now());
  return ok({});
}

/** POST /open-apis/im/v1/images, multipart image_type + image; ≤ 10 MB, not empty. */
function uploadImage(ctx: RouteContext): ApiReply {
  const parts = parseMultipart(ctx.rawBody, ctx.contentType);
  const imageType = parts.find((p) => p.name === 'image_type')?.data.toString('utf8');
  const image = parts.find((p) => p.name === 'image');
  if (imageType !== 'message' && imageType !== 'avatar') {
    return { status: 400, body: fieldViolationBody([{ field: 'image_type', description: 'image_type must be message or avatar' }]) };
  }
  if (!image || image.data.length === 0) return fail(CODES.imageEmpty);
  if (image.data.length > IMAGE_MAX_BYTES) return fail(CODES.imageTooLarge);
  const image_key = `img_v3_${randomBytes(12).toString('hex')}`;
  ctx.tenant.images.set(image_key, { image_key, image_type: imageType, bytes: image.data.length, at: ctx.tenant.now() });
  // The SDK's im.image.create returns `res.data`, i.e. {image_key}.
  return ok({ image_key });
}

/** POST /open-apis/im/v1/files, multipart file_type + file_name (+ duration) + file; ≤ 30 MB, not empty. */
function uploadFile(ctx: RouteContext): ApiReply {
  const parts = parseMultipart(ctx.rawBody, ctx.contentType);
  const fileType = parts.find((p) => p.name === 'file_type')?.data.toString('utf8');
  const fileName = parts.find((p) => p.name === 'file_name')?.data.toString('utf8');
  const duration = parts.find((p) => p.name === 'duration')?.data.toString('utf8');
  const file = parts.find((p) => p.name === 'file');
  const violations = [
    ...(FILE_TYPES.some((t) => t === fileType) ? [] : [{ field: 'file_type', description: `file_type must be one of ${FILE_TYPES.join(', ')}` }]),
    ...(fileName ? [] : [{ field: 'file_name', description: 'file_name is required' }]),
    ...(duration === undefined || /^\d+$/.test(duration) ? [] : [{ field: 'duration', description: 'duration must be an integer (ms)' }]),
  ];
  if (violations.length > 0) return { status: 400, body: fieldViolationBody(violations) };
  if (!file || file.data.length === 0) return fail(CODES.imageEmpty);
  if (file.data.length > FILE_MAX_BYTES) return fail(CODES.imageTooLarge);
  const file_key = `file_v3_${randomBytes(12).toString('hex')}`;
  ctx.tenant.files.set(file_key, { file_key, file_type: fileType!, file_name: fileName!, bytes: file.data.length, data: file.data, at: ctx.tenant.now() });
  // The SDK's im.file.create returns `res.data`, i.e. {file_key}.
  return ok({ file_key });
}

function stringList(value: unknown): string[] | undefined {
  if (value === undefined) return [];
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value) : undefined;
}

/**
 * POST /open-apis/contact/v3/users/batch_get_id: ≤ 50 mobiles and ≤ 50
 * emails; an entry the app cannot resolve comes back without user_id
 * (docs/feishu.md §7).
 */
function batchGetId(ctx: RouteContext): ApiReply {
  const mobiles = stringList(ctx.body?.mobiles);
  const emails = stringList(ctx.body?.emails);
  if (!mobiles || !emails) {
    return { status: 400, body: fieldViolationBody([{ field: 'mobiles/emails', description: 'must be string arrays' }]) };
  }
  const tooMany = [
    ...(mobiles.length > BATCH_GET_ID_MAX ? [{ field: 'mobiles', description: `at most ${BATCH_GET_ID_MAX} items` }] : []),
    ...(emails.length > BATCH_GET_ID_MAX ? [{ field: 'emails', description: `at most ${BATCH_GET_ID_MAX} items` }] : []),
  ];
  if (tooMany.length > 0) return { status: 400, body: fieldViolationBody(tooMany) };
  const idType = ctx.query.get('user_id_type') ?? 'open_id';
  if (idType !== 'open_id' && idType !== 'user_id' && idType !== 'union_id') {
    return { status: 400, body: fieldViolationBody([{ field: 'user_id_type', description: 'invalid user_id_type' }]) };
  }
  const includeResigned = ctx.body?.include_resigned === true;
  const visible = (user: SandboxUser | undefined): SandboxUser | undefined =>
    user && !user.outOfScope && (includeResigned || !user.resigned) ? user : undefined;
  const entry = (user: SandboxUser | undefined): Record<string, unknown> =>
    user
      ? {
          user_id: user[idType],
          status: { is_frozen: false, is_resigned: user.resigned, is_activated: !user.resigned, is_exited: false, is_unjoin: false },
        }
      : {};
  const directory = ctx.tenant.directory;
  const user_list = [
    ...mobiles.map((mobile) => ({ ...entry(visible(directory.findUser({ mobile: normalizeMobile(mobile) }))), mobile })),
    ...emails.map((email) => ({ ...entry(visible(directory.findUser({ email }))), email })),
  ];
  return ok({ user_list });
}

export const otherRoutes: Route[] = [
  route('POST', '/open-apis/interactive/v1/card/update', { api: 'card.update', metered: true, handle: delayedCardUpdate }),
  route('POST', '/open-apis/im/v1/images', { api: 'im.image', metered: true, handle: uploadImage }),
  route('POST', '/open-apis/im/v1/files', { api: 'im.file', metered: true, handle: uploadFile }),
  // Contact APIs do not count toward the monthly quota (docs/feishu.md §1).
  route('POST', '/open-apis/contact/v3/users/batch_get_id', { api: 'contact.batch_get_id', metered: false, handle: batchGetId }),
];
