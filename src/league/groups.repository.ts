// Which Feishu group gets which league card: the one dispatch group (调度群) and one group per
// region (a region may have several). Bound by an admin in the group (`@机器人 绑定 天城县`) or
// by the CLI (`groups bind`).
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { AppError } from '../errors.js';

type Q = Kysely<Database>;

export const DISPATCH_GROUP_WORDS = ['调度群', '调度', '全市', '市调度群'];

export type GroupBinding = { chatId: string; name: string; purpose: 'dispatch' | 'region' | 'leaders'; regionId: number | null; regionName: string | null };

export async function listGroups(db: Q): Promise<GroupBinding[]> {
  const rows = await db
    .selectFrom('chat_groups as g')
    .leftJoin('regions as r', 'r.id', 'g.region_id')
    .select(['g.chat_id', 'g.name', 'g.purpose', 'g.region_id', 'r.name as region_name'])
    .orderBy('g.purpose')
    .orderBy('r.sort_order')
    .orderBy('g.chat_id')
    .execute();
  return rows.map((r) => ({ chatId: r.chat_id, name: r.name, purpose: r.purpose, regionId: r.region_id, regionName: r.region_name }));
}

/**
 * Binds a group to a target: "调度群" (the dispatch group; a new one replaces the old binding,
 * there is one) or a region's name. Unknown regions are refused with the known ones listed.
 */
export async function bindGroup(db: Q, input: { chatId: string; name: string; target: string; by: string; at: Date }): Promise<GroupBinding> {
  const target = input.target.trim();
  if (input.chatId.trim() === '') throw new AppError('VALIDATION', 'empty chat id', { userMessage: '群编号（chat_id）不能为空' });
  return db.transaction().execute(async (trx) => {
    if (DISPATCH_GROUP_WORDS.includes(target)) {
      await trx.deleteFrom('chat_groups').where('purpose', '=', 'dispatch').where('chat_id', '!=', input.chatId).execute();
      await upsert(trx, input, null, 'dispatch');
      return { chatId: input.chatId, name: input.name, purpose: 'dispatch' as const, regionId: null, regionName: null };
    }
    const region = await trx.selectFrom('regions').select(['id', 'name']).where('name', '=', target).executeTakeFirst();
    if (!region) {
      const known = (await trx.selectFrom('regions').select('name').orderBy('sort_order').orderBy('id').execute()).map((r) => r.name);
      throw new AppError('VALIDATION', `unknown region ${target}`, {
        userMessage: `没有名为“${target}”的地区。可绑定：调度群${known.length > 0 ? `、${known.join('、')}` : ''}`,
      });
    }
    await upsert(trx, input, region.id, 'region');
    return { chatId: input.chatId, name: input.name, purpose: 'region' as const, regionId: region.id, regionName: region.name };
  });
}

async function upsert(trx: Q, input: { chatId: string; name: string; by: string; at: Date }, regionId: number | null, purpose: 'dispatch' | 'region'): Promise<void> {
  await trx
    .insertInto('chat_groups')
    .values({ chat_id: input.chatId, name: input.name, region_id: regionId, purpose, bound_by: input.by, bound_at: input.at })
    .onConflict((oc) => oc.column('chat_id').doUpdateSet({ name: input.name, region_id: regionId, purpose, bound_by: input.by, bound_at: input.at }))
    .execute();
}

export async function unbindGroup(db: Q, chatId: string): Promise<boolean> {
  const r = await db.deleteFrom('chat_groups').where('chat_id', '=', chatId).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
