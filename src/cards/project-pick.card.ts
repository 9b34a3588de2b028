// "Which project?" cards, for an owner with several open reports: a chat draft ("本周完成投资
// 500万元…") or site photos that could belong to more than one. One button per project. Pure.
import type { CycleKind } from '../db/schema.js';
import { periodLabel } from '../domain/period.js';
import type { Card } from '../platform/feishu/lark-client.js';
import type { CardActionValue } from './card-actions.js';
import { markdown, plain, plainDiv } from './elements.js';
import { CARD_LIMITS, cardStats } from './limits.js';

export type PickOption = { projectId: number; cycleId: number; code: string; name: string; kind: CycleKind; periodKey: string };

/** The draft as shown on the card. The buttons carry only `draftOf`, the chat message's id. */
export type DraftCarry = { amount: string; progress: string };

/** How much of a progress note the card shows; the pre-filled form gets all of it. */
const PROGRESS_SHOWN = 200;
const shorten = (s: string, n: number) => ([...s].length > n ? `${[...s].slice(0, n).join('')}…` : s);

function pickButton(text: string, value: Record<string, unknown>, name: string) {
  return { tag: 'button', name, text: plain(text), type: 'default', width: 'fill', behaviors: [{ type: 'callback', value }] };
}

/** Characters of a project name on a button; a button shows one line and names run past 100. */
const NAME_ON_BUTTON = 40;
const label = (o: PickOption) => `${shorten(o.name, NAME_ON_BUTTON)}（${periodLabel(o.kind, o.periodKey)}）`;

function shell(title: string, elements: unknown[]): Card {
  return { schema: '2.0', config: { update_multi: true }, header: { title: plain(title), template: 'blue' }, body: { elements } };
}

/** Room kept under Feishu's limits for the note naming what did not fit. */
const RESERVE = { bytes: 1024, components: 2 };

/**
 * Adds buttons while the card stays inside Feishu's 30 KB and 200 components (an owner may have
 * dozens of open reports, and photo buttons carry their image keys), then says how many are left.
 */
function withButtons(title: string, head: unknown[], buttons: unknown[], restNote: (n: number) => string): Card {
  const elements = [...head];
  let shown = 0;
  for (const b of buttons) {
    const stats = cardStats(shell(title, [...elements, b]));
    if (stats.bytes > CARD_LIMITS.bytes - RESERVE.bytes || stats.components > CARD_LIMITS.components - RESERVE.components) break;
    elements.push(b);
    shown++;
  }
  if (shown < buttons.length) elements.push(markdown(`<font color='grey'>${restNote(buttons.length - shown)}</font>`));
  return shell(title, elements);
}

/**
 * A callback carries the button's value but not the card it was on, so each button names the chat
 * message the draft came from (`draftOf`); the pick re-reads the note from the stored message.
 * Copying the note into every button made the card grow with notes × projects past Feishu's 30 KB.
 */
export function buildDraftPickCard(input: { draft: DraftCarry; draftOf: string; options: PickOption[] }): Card {
  const elements: unknown[] = [
    markdown('您有多个项目待填报，这条进展是哪个项目的？选择后会生成预填好的填报卡片，**确认提交后才算填报**。'),
    plainDiv(`本期完成投资：${input.draft.amount || '（未识别）'}${input.draft.progress ? `；形象进度：${shorten(input.draft.progress, PROGRESS_SHOWN)}` : ''}`, { text_color: 'grey' }),
  ];
  const buttons = input.options.map((o, i) => {
    const value: CardActionValue = { a: 'report.pick', projectId: o.projectId, cycleId: o.cycleId, draftOf: input.draftOf };
    return pickButton(label(o), value, `draft_pick_${i}`);
  });
  return withButtons('请选择项目', elements, buttons, (n) => `另有 ${n} 个待填报项目未列出，请在该项目的填报卡片中直接填写。`);
}

export function buildPhotoPickCard(input: { imageKeys: string[]; messageId: string; options: PickOption[] }): Card {
  const elements: unknown[] = [markdown(`收到 ${input.imageKeys.length} 张照片。您有多个项目近期有填报，这些照片属于哪个项目？`)];
  const buttons = input.options.map((o, i) => {
    const value: CardActionValue = { a: 'photo.attach', projectId: o.projectId, cycleId: o.cycleId, imageKeys: input.imageKeys, messageId: input.messageId };
    return pickButton(label(o), value, `photo_pick_${i}`);
  });
  return withButtons('请选择照片所属项目', elements, buttons, (n) => `另有 ${n} 个项目未列出。照片若属于其中的项目，请少发几张后重新发送，或联系项目中心。`);
}
