// Feishu card markdown, the part a card shows: **bold**, *italic*, ~~strike~~, `code`, links,
// lists, headings, line breaks, <font color>, <text_tag>, <at>. Everything else is text; input is
// escaped first, so nothing a bot or user wrote becomes HTML.
import { escapeHtml } from './dom.js';

/** Feishu's named text colours. */
export const COLORS: Record<string, string> = {
  default: '#1f2329', red: '#d83931', green: '#2ea121', blue: '#245bdb', grey: '#8f959e', gray: '#8f959e',
  orange: '#de7802', yellow: '#dc9b04', purple: '#6425d0', carmine: '#c71e75', violet: '#b615b6',
  indigo: '#4954e6', wathet: '#1d8bd1', turquoise: '#00a1a3', lime: '#8fac02', neutral: '#646a73',
};

export const colorOf = (name: string): string => COLORS[name.replace(/-.*$/, '')] ?? (/^#[0-9a-f]{3,8}$/i.test(name) ? name : COLORS.default);

const TAG = /<(font|text_tag)\s+color=['"]?([\w#-]+)['"]?\s*>([\s\S]*?)<\/\1>|<at\s+(?:id|user_id|open_id|email)=['"]?([^'" >]+)['"]?\s*>([^<]*)<\/at>/g;

// Private-use characters mark where an already rendered tag goes back in; escaping leaves them alone.
const HOLD_OPEN = '\uE000';
const HOLD_CLOSE = '\uE001';
const HELD = new RegExp(`${HOLD_OPEN}(\\d+)${HOLD_CLOSE}`, 'g');

export function renderMarkdown(source: string): string {
  const held: string[] = [];
  const hold = (html: string): string => `${HOLD_OPEN}${held.push(html) - 1}${HOLD_CLOSE}`;
  const withHeld = source.replace(TAG, (_m, tag: string | undefined, color: string | undefined, inner: string | undefined, atId: string | undefined, atName: string | undefined) => {
    if (atId !== undefined) return hold(`<span class="md-at">@${escapeHtml(atName || (atId === 'all' ? '所有人' : atId))}</span>`);
    const body = renderInline(escapeHtml(inner ?? ''));
    return tag === 'text_tag'
      ? hold(`<span class="md-tag" style="color:${colorOf(color ?? '')};border-color:${colorOf(color ?? '')}">${body}</span>`)
      : hold(`<span style="color:${colorOf(color ?? '')}">${body}</span>`);
  });
  const lines = escapeHtml(withHeld).split('\n');
  const out: string[] = [];
  let listKind: 'ul' | 'ol' | undefined;
  const closeList = () => {
    if (listKind) out.push(`</${listKind}>`);
    listKind = undefined;
  };
  for (const line of lines) {
    const bullet = /^\s*[-*]\s+(.*)$/.exec(line);
    const numbered = /^\s*\d+\.\s+(.*)$/.exec(line);
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (bullet || numbered) {
      const kind = bullet ? 'ul' : 'ol';
      if (listKind !== kind) {
        closeList();
        out.push(`<${kind}>`);
        listKind = kind;
      }
      out.push(`<li>${renderInline((bullet ?? numbered)?.[1] ?? '')}</li>`);
      continue;
    }
    closeList();
    if (heading) out.push(`<div class="md-h${heading[1]?.length ?? 1}">${renderInline(heading[2] ?? '')}</div>`);
    else if (/^\s*-{3,}\s*$/.test(line)) out.push('<hr>');
    else out.push(`<div class="md-line">${renderInline(line) || '&nbsp;'}</div>`);
  }
  closeList();
  return out.join('').replace(HELD, (_m, i: string) => held[Number(i)] ?? '');
}

/** Inline marks over already-escaped text. */
function renderInline(text: string): string {
  return text
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\*\*([^*]+)\*\*/g, '<b>$1</b>')
    .replace(/~~([^~]+)~~/g, '<s>$1</s>')
    .replace(/(^|[^*])\*([^*\s][^*]*)\*/g, '$1<i>$2</i>')
    .replace(/\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)/g, '<a href="$2" target="_blank" rel="noreferrer">$1</a>');
}
