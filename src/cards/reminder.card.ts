// What a reminder says. A reminder is the report form (or the consolidated list) sent again
// with this notice on top, naming what is still missing and by when: the owner can act on the
// card in hand instead of scrolling back to the first one. Pure; Chinese text.
import { formatLocalTime } from './format.js';
import type { CardNotice } from './elements.js';

/** Names shown before "等N个项目"; the card lists them all anyway. */
const NAMES_SHOWN = 5;

export function reminderNotice(opts: { final: boolean; dueAt: Date; tz: string; missing: string[] }): CardNotice {
  const due = formatLocalTime(opts.dueAt, opts.tz);
  const shown = opts.missing.slice(0, NAMES_SHOWN).map((n) => `“${n}”`).join('、');
  const what = opts.missing.length > NAMES_SHOWN ? `${shown}等${opts.missing.length}个项目` : `${shown}${opts.missing.length > 1 ? `共${opts.missing.length}个项目` : ''}`;
  if (opts.final) {
    return { level: 'final', text: `已到截止时间（${due}），仍未收到${what}的本期填报。请立即补报，逾期填报将记为迟报。` };
  }
  return { level: 'reminder', text: `尚未收到${what}的本期填报，截止时间为${due}，请抓紧填报。` };
}
