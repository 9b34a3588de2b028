// Decoding what a person sent the bot (im.message.receive_v1 `message.content`, a JSON string).
// Pure. Text loses its @-mention placeholders ("@_user_1 填报" → "填报"); images and rich text
// with images become image keys for the site-photo flow (形象进度照片).
import { z } from 'zod';

export type DecodedMessage =
  | { kind: 'text'; text: string }
  | { kind: 'image'; imageKeys: string[] }
  | { kind: 'other'; messageType: string };

const textContent = z.object({ text: z.string() });
const imageContent = z.object({ image_key: z.string().min(1) });
const postElement = z.object({ tag: z.string(), text: z.string().optional(), image_key: z.string().optional() }).loose();
const postBody = z.object({ title: z.string().optional(), content: z.array(z.array(postElement)) });
// Received posts carry one body; some clients wrap it per language ({"zh_cn": {...}}).
const postContent = z.union([postBody, z.record(z.string(), postBody).transform((m) => Object.values(m)[0] ?? { content: [] })]);

/** Mention placeholders Feishu puts in text: "@_user_1", "@_all". */
const MENTION_KEY = /@_(?:user_\d+|all)/g;

export function stripMentions(text: string, keys: readonly string[] = []): string {
  let out = text;
  for (const key of keys) out = out.split(key).join(' ');
  return out.replace(MENTION_KEY, ' ').replace(/\s+/g, ' ').trim();
}

export function decodeMessage(messageType: string, content: string, mentionKeys: readonly string[] = []): DecodedMessage {
  let json: unknown;
  try {
    json = JSON.parse(content);
  } catch {
    return { kind: 'other', messageType };
  }
  if (messageType === 'text') {
    const t = textContent.safeParse(json);
    return t.success ? { kind: 'text', text: stripMentions(t.data.text, mentionKeys) } : { kind: 'other', messageType };
  }
  if (messageType === 'image') {
    const i = imageContent.safeParse(json);
    return i.success ? { kind: 'image', imageKeys: [i.data.image_key] } : { kind: 'other', messageType };
  }
  if (messageType === 'post') {
    const p = postContent.safeParse(json);
    if (!p.success) return { kind: 'other', messageType };
    const elements = p.data.content.flat();
    const imageKeys = elements.flatMap((e) => (e.tag === 'img' && e.image_key ? [e.image_key] : []));
    if (imageKeys.length > 0) return { kind: 'image', imageKeys };
    const text = elements.flatMap((e) => (e.tag === 'text' && e.text ? [e.text] : [])).join(' ');
    return { kind: 'text', text: stripMentions(text, mentionKeys) };
  }
  return { kind: 'other', messageType };
}
