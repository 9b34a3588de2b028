// Feishu's size limits on one card, and how a card is measured against them.

/** Feishu's per-card limits (docs/feishu.md §3): 200 components, 30 KB of JSON. */
export const CARD_LIMITS = { components: 200, bytes: 30 * 1024 };

/**
 * Size of a card as Feishu limits it. Components are counted generously — every object with a
 * `tag`, text objects included — so a card under this count is under Feishu's whatever it counts.
 */
export function cardStats(card: unknown): { components: number; bytes: number } {
  let components = 0;
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      if (typeof (v as { tag?: unknown }).tag === 'string') components++;
      Object.values(v).forEach(walk);
    }
  };
  walk(card);
  return { components, bytes: Buffer.byteLength(JSON.stringify(card), 'utf8') };
}
