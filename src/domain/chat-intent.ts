// What a person means by a chat message to the bot. Pure.
// Four commands (填报 / 我的项目 / 问题 / 帮助) and one free-text form: a progress note with an
// investment figure ("本周完成投资500万元,主体结构封顶"), read as a *draft* report that the
// owner must still confirm in a card. The figure goes through the one amount parser, so chat
// and card accept and refuse exactly the same amounts.
import { parseAmountWan, type AmountResult } from './amount.js';

export type ChatIntent =
  | { kind: 'fill' }
  | { kind: 'my_projects' }
  | { kind: 'problems' }
  | { kind: 'help' }
  | { kind: 'my_escalations' }
  | { kind: 'todo' }
  | { kind: 'project_status'; code: string }
  | { kind: 'draft'; amountText: string; amount: AmountResult; progress: string }
  | { kind: 'unknown'; text: string };

const COMMANDS: Record<string, ChatIntent['kind']> = {
  填报: 'fill',
  填报卡片: 'fill',
  重新填报: 'fill',
  补报: 'fill',
  报送: 'fill',
  我的项目: 'my_projects',
  项目: 'my_projects',
  问题: 'problems',
  我的问题: 'problems',
  问题台账: 'problems',
  我的督办: 'my_escalations',
  督办: 'my_escalations',
  待办: 'todo',
  我的待办: 'todo',
  帮助: 'help',
  help: 'help',
  '?': 'help',
  菜单: 'help',
  使用说明: 'help',
};

// Digits, Chinese numerals (so "五百万" reaches the parser and gets its explanation), separators.
const NUM = '[0-9零〇一二两三四五六七八九十百千壹贰叁肆伍陆柒捌玖拾佰仟]';
const AMOUNT = `((?:约|大约|大概|近|超过)?[-+]?${NUM}(?:${NUM}|[.,])*\\s*(?:多|余)?\\s*(?:亿元|亿|万元|万|元)?(?:左右)?)`;
// "本周完成投资500万元", "完成投资：1,200万", "本月投资完成3.21亿", "完成额 80 万元".
const DRAFT = new RegExp(`(?:本周|本月|本期|这周|这个月)?(?:已)?(?:完成(?:了)?(?:投资)?(?:额)?|投资(?:完成)?(?:额)?)\\s*[:为]?\\s*${AMOUNT}`);

function normalize(text: string): string {
  return text.normalize('NFKC').replace(/\s+/g, ' ').trim();
}

export function parseIntent(raw: string): ChatIntent {
  const text = normalize(raw);
  const bare = text.replace(/^\/+/, '').replace(/[。.!！~～]+$/, '').trim().toLowerCase();
  const command = COMMANDS[bare];
  if (command === 'draft' || command === 'unknown' || command === 'project_status') return { kind: 'unknown', text };
  if (command) return { kind: command };

  const project = /^\/*项目\s*(XM[0-9A-Za-z]+)[。.!！]*$/i.exec(text);
  if (project) return { kind: 'project_status', code: project[1] };

  const m = DRAFT.exec(text);
  if (m && m[1]) {
    // A separator right after the figure belongs to the sentence, not the number ("500,主体…").
    const amountText = m[1].replace(/[,.\s]+$/, '');
    const rest = (text.slice(0, m.index) + ' ' + text.slice(m.index + m[0].length))
      .split(/[,;；。\n]+/)
      .map((s) => s.replace(/^[\s、:：]+|[\s、]+$/g, ''))
      .filter(Boolean)
      .join('，');
    return { kind: 'draft', amountText, amount: parseAmountWan(amountText), progress: rest };
  }
  return { kind: 'unknown', text };
}
