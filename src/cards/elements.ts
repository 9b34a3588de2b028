// Small element builders every card shares: text, buttons, the notice banner, the light line,
// and the escaping of text we did not write ourselves. Pure functions to card JSON 2.0 pieces.
import { lightEmoji, type Light } from '../domain/schedule-lag.js';
import type { CardActionValue } from './card-actions.js';

/** A banner at the top of a card: a reminder, the last call, or why a submission was refused. */
export type CardNotice = { level: 'info' | 'reminder' | 'final' | 'error'; text: string };

export const plain = (content: string) => ({ tag: 'plain_text', content });

export const markdown = (content: string, extra: Record<string, unknown> = {}) => ({ tag: 'markdown', content, ...extra });

/** Text the user or the registry wrote: plain_text, so it can never be read as markup or an @mention. */
export const plainDiv = (content: string, extra: Record<string, unknown> = {}) => ({ tag: 'div', text: { ...plain(content), ...extra } });

export function callbackButton(text: string, value: CardActionValue, extra: Record<string, unknown> = {}) {
  return { tag: 'button', text: plain(text), type: 'default', behaviors: [{ type: 'callback', value }], ...extra };
}

const NOTICE_STYLE: Record<CardNotice['level'], { icon: string; color: string }> = {
  info: { icon: 'ℹ️', color: 'blue' },
  reminder: { icon: '⏰', color: 'orange' },
  final: { icon: '❗', color: 'red' },
  error: { icon: '⚠️', color: 'red' },
};

export function noticeElement(notice: CardNotice) {
  const style = NOTICE_STYLE[notice.level];
  return markdown(`${style.icon} <font color='${style.color}'>${escapeMarkdown(notice.text)}</font>`);
}

/**
 * Neutralises what Feishu markdown would act on in text we did not write ourselves: angle
 * brackets (<at id=all>, <font>) become full-width, and emphasis/link characters are dropped
 * of their meaning by full-width look-alikes, so a project called "A*B" stays "A＊B".
 */
export function escapeMarkdown(text: string): string {
  return text.replace(/[<>*~`[\]_]/g, (c) => ({ '<': '＜', '>': '＞', '*': '＊', '~': '～', '`': '｀', '[': '［', ']': '］', _: '＿' })[c] ?? c);
}

export const LIGHT_NAME: Record<Light, string> = { green: '绿灯', yellow: '黄灯', red: '红灯', none: '未评灯' };

export function lightLine(light: { light: Light; reasons: string[] }): string {
  return `${lightEmoji(light.light)} ${LIGHT_NAME[light.light]}：${light.reasons.join('；')}`;
}
