// The tenant's people and groups. Ids are derived from the mobile number so a
// seeded directory gives the same open_ids on every run, which keeps demo
// transcripts and benchmark fixtures stable.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parseCsv } from './csv.js';

export interface SandboxUser {
  name: string;
  mobile: string;
  email?: string;
  open_id: string;
  user_id: string;
  union_id: string;
  /** Resigned users are only returned by batch_get_id with include_resigned. */
  resigned: boolean;
  /**
   * Outside the app's data-permission scope: batch_get_id finds no id for
   * them, exactly like a real number the app may not see (docs/feishu.md §7).
   */
  outOfScope: boolean;
}

export interface NewUser {
  name: string;
  mobile: string;
  email?: string;
  open_id?: string;
  user_id?: string;
  union_id?: string;
  resigned?: boolean;
  outOfScope?: boolean;
}

export interface SandboxChat {
  chat_id: string;
  name: string;
  /** Set for the one-to-one chat Feishu keeps between the bot and a user. */
  p2pOpenId?: string;
}

export type UserIdType = 'open_id' | 'user_id' | 'union_id' | 'email';

const shortHash = (salt: string, value: string, length: number): string =>
  createHash('sha256').update(`${salt}:${value}`).digest('hex').slice(0, length);

/**
 * Canonical form of a mobile number. Mainland numbers may be written with or
 * without +86 (batch_get_id: only numbers outside mainland China need the
 * country code, docs/feishu.md §7), so "+86 138-0000-0000" and "13800000000"
 * are the same person.
 */
export function normalizeMobile(mobile: string): string {
  const compact = mobile.replace(/[\s\-()]/g, '');
  const mainland = /^(?:\+?86)?(1\d{10})$/.exec(compact);
  if (mainland?.[1]) return mainland[1];
  return compact.startsWith('+') ? compact : `+${compact}`;
}

export class Directory {
  private readonly byOpenId = new Map<string, SandboxUser>();
  private readonly chats = new Map<string, SandboxChat>();
  private readonly outOfScopeMobiles = new Set<string>();
  /** open_id → its p2p chat id: a hash, asked for on every direct message. */
  private readonly p2pIds = new Map<string, string>();

  constructor(unmatchedMobiles: string[] = []) {
    for (const mobile of unmatchedMobiles) this.leaveOut(mobile);
  }

  /** Adds (or replaces, keyed by mobile) a user and returns the open_id. */
  addUser(input: NewUser): string {
    const mobile = normalizeMobile(input.mobile);
    const existing = this.findUser({ mobile });
    if (existing) this.byOpenId.delete(existing.open_id);
    const user: SandboxUser = {
      name: input.name,
      mobile,
      email: input.email,
      open_id: input.open_id ?? `ou_${shortHash('open', mobile, 32)}`,
      user_id: input.user_id ?? shortHash('user', mobile, 8),
      union_id: input.union_id ?? `on_${shortHash('union', mobile, 32)}`,
      resigned: input.resigned ?? false,
      outOfScope: (input.outOfScope ?? false) || this.outOfScopeMobiles.has(mobile),
    };
    this.byOpenId.set(user.open_id, user);
    return user.open_id;
  }

  /** Makes a number match nobody in batch_get_id, now and for users added later. */
  leaveOut(mobile: string): void {
    const normalized = normalizeMobile(mobile);
    this.outOfScopeMobiles.add(normalized);
    const user = this.findUser({ mobile: normalized });
    if (user) user.outOfScope = true;
  }

  users(): SandboxUser[] {
    return [...this.byOpenId.values()];
  }

  findUser(query: { open_id?: string; user_id?: string; union_id?: string; email?: string; mobile?: string; name?: string }): SandboxUser | undefined {
    if (query.open_id) return this.byOpenId.get(query.open_id);
    const mobile = query.mobile ? normalizeMobile(query.mobile) : undefined;
    const email = query.email?.toLowerCase();
    for (const user of this.byOpenId.values()) {
      if (query.user_id && user.user_id === query.user_id) return user;
      if (query.union_id && user.union_id === query.union_id) return user;
      if (email && user.email?.toLowerCase() === email) return user;
      if (mobile && user.mobile === mobile) return user;
      if (query.name && user.name === query.name) return user;
    }
    return undefined;
  }

  findUserBy(idType: UserIdType, id: string): SandboxUser | undefined {
    return this.findUser({ [idType]: id });
  }

  addChat(input: { chat_id?: string; name: string }): string {
    const chat_id = input.chat_id ?? `oc_${shortHash('chat', input.name, 32)}`;
    this.chats.set(chat_id, { chat_id, name: input.name });
    return chat_id;
  }

  findChat(chatId: string): SandboxChat | undefined {
    return this.chats.get(chatId);
  }

  listChats(): SandboxChat[] {
    return [...this.chats.values()];
  }

  /** The bot↔user chat a direct message lands in; created on first use. */
  p2pChatFor(user: SandboxUser): string {
    let chat_id = this.p2pIds.get(user.open_id);
    if (chat_id === undefined) {
      chat_id = `oc_${shortHash('p2p', user.open_id, 32)}`;
      this.p2pIds.set(user.open_id, chat_id);
    }
    if (!this.chats.has(chat_id)) this.chats.set(chat_id, { chat_id, name: user.name, p2pOpenId: user.open_id });
    return chat_id;
  }

  /**
   * Seeds users from a JSON array of users, or from a project registry CSV
   * (the sheet in /work/shared/fixtures/projects-sample.csv): the owner,
   * the responsible leader and the vice-mayor columns, deduplicated by mobile.
   * Returns how many distinct people were added.
   */
  async seedFromFile(path: string): Promise<number> {
    const text = (await readFile(path, 'utf8')).replace(/^\uFEFF/, '');
    const people = text.trimStart().startsWith('[') ? parseUserJson(text) : peopleFromRegistryCsv(text);
    const seen = new Set<string>();
    for (const person of people) {
      const mobile = normalizeMobile(person.mobile);
      if (seen.has(mobile)) continue;
      seen.add(mobile);
      this.addUser(person);
    }
    return seen.size;
  }
}

function parseUserJson(text: string): NewUser[] {
  const value: unknown = JSON.parse(text);
  if (!Array.isArray(value)) throw new Error('user seed JSON must be an array');
  return value.map((item, index) => {
    const user = item as Partial<NewUser>;
    if (typeof user.name !== 'string' || typeof user.mobile !== 'string') {
      throw new Error(`user seed entry ${index} needs string name and mobile`);
    }
    return user as NewUser;
  });
}

/** Name/mobile column pairs of the registry sheet that hold people. */
const REGISTRY_PEOPLE_COLUMNS: ReadonlyArray<readonly [string, string]> = [
  ['项目负责人', '负责人手机'],
  ['包保领导', '包保领导手机'],
  ['分管副市长', '分管副市长手机'],
  ['责任单位联系人', '责任单位联系人手机'],
];

export function peopleFromRegistryCsv(text: string): NewUser[] {
  const [header, ...rows] = parseCsv(text);
  if (!header) return [];
  const columns = REGISTRY_PEOPLE_COLUMNS.map(([nameCol, mobileCol]) => [
    header.indexOf(nameCol),
    header.indexOf(mobileCol),
  ] as const).filter(([n, m]) => n >= 0 && m >= 0);
  if (columns.length === 0) throw new Error('CSV has none of the registry people columns (项目负责人/负责人手机 …)');
  const people: NewUser[] = [];
  for (const row of rows) {
    for (const [nameIdx, mobileIdx] of columns) {
      const name = row[nameIdx]?.trim();
      const mobile = row[mobileIdx]?.trim();
      if (name && mobile) people.push({ name, mobile });
    }
  }
  return people;
}
