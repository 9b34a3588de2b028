// The /_sandbox control plane: lets a demo, a benchmark in another process or
// a person with curl inspect and steer the simulated tenant. Not part of the
// Feishu API; never rate limited, faulted or recorded.
import type { NewUser } from './directory.js';
import type { FakeFeishu } from './fake-feishu.js';
import { faultFromJson } from './faults.js';
import { isRecord, type ApiReply } from './http-util.js';
import { DEFAULT_LIMITS, type SandboxLimits } from './tenant.js';

const done = (data: unknown): ApiReply => ({ status: 200, body: { code: 0, msg: 'success', data } });
const bad = (msg: string): ApiReply => ({ status: 400, body: { code: 400, msg } });

function asNewUser(value: unknown): NewUser | undefined {
  if (!isRecord(value) || typeof value.name !== 'string' || typeof value.mobile !== 'string') return undefined;
  return value as unknown as NewUser;
}

function pickLimits(body: Record<string, unknown>): Partial<SandboxLimits> {
  const limits: Partial<SandboxLimits> = {};
  for (const key of Object.keys(DEFAULT_LIMITS) as Array<keyof SandboxLimits>) {
    const value = body[key];
    if (typeof value === 'number' && value > 0) limits[key] = value;
  }
  return limits;
}

export function handleControl(
  fake: FakeFeishu,
  method: string,
  path: string,
  query: URLSearchParams,
  body: unknown,
): ApiReply {
  const key = `${method} ${path}`;
  switch (key) {
    case 'GET /_sandbox/messages':
      return done({
        items: fake.messages({
          receive_id: query.get('receive_id') ?? undefined,
          msg_type: query.get('msg_type') ?? undefined,
          chat_id: query.get('chat_id') ?? undefined,
        }),
      });
    case 'GET /_sandbox/requests':
      return done({ items: fake.requests() });
    case 'GET /_sandbox/stats':
      return done(fake.stats());
    case 'POST /_sandbox/reset':
      fake.reset();
      return done({});
    case 'GET /_sandbox/users':
      return done({ items: fake.users() });
    case 'POST /_sandbox/users': {
      const list = Array.isArray(body) ? body : [body];
      const users = list.map(asNewUser);
      if (users.some((u) => u === undefined)) return bad('each user needs string name and mobile');
      return done({ open_ids: users.map((u) => fake.addUser(u as NewUser)) });
    }
    case 'POST /_sandbox/chats': {
      if (!isRecord(body) || typeof body.name !== 'string') return bad('chat needs a string name');
      return done({ chat_id: fake.addChat({ name: body.name, chat_id: typeof body.chat_id === 'string' ? body.chat_id : undefined }) });
    }
    case 'POST /_sandbox/faults': {
      if (!isRecord(body)) return bad('fault must be a JSON object');
      try {
        return done({ id: fake.injectFault(faultFromJson(body)) });
      } catch (e) {
        return bad((e as Error).message);
      }
    }
    case 'DELETE /_sandbox/faults':
      fake.clearFaults();
      return done({});
    case 'POST /_sandbox/quota': {
      fake.setMonthlyQuotaExceeded(isRecord(body) && body.exceeded === true);
      return done({});
    }
    case 'POST /_sandbox/limits': {
      if (!isRecord(body)) return bad('limits must be a JSON object');
      fake.setLimits(pickLimits(body));
      return done({ limits: fake.limits });
    }
    case 'POST /_sandbox/tokens/expire':
      fake.expireAllTokens();
      return done({});
    default:
      return { status: 404, body: { code: 404, msg: `no sandbox route ${key}` } };
  }
}
