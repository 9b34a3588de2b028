// A read-only card carrying one message: what a pick card becomes once answered, or the final
// word on a callback whose answer came too late for a toast. Pure.
import type { Card } from '../platform/feishu/lark-client.js';
import { noticeElement, plain, type CardNotice } from './elements.js';

export function buildNoticeCard(input: { title: string; text: string; level?: CardNotice['level'] }): Card {
  const level = input.level ?? 'info';
  return {
    schema: '2.0',
    config: { update_multi: true },
    header: { title: plain(input.title), template: level === 'error' || level === 'final' ? 'red' : 'blue' },
    body: { elements: [noticeElement({ level, text: input.text })] },
  };
}
