// The README's "Admin commands" block is a syntax summary: `[...]` is optional, ` | ` separates
// commands on one line, `#` starts a comment. writtenForms() lists every command a reader can type
// from one line of it (each optional part left out or written in), so a test can check that a
// command it runs is written in the README exactly so.

/** The first ```bash block after the heading `## <heading>`. */
export function blockAfterHeading(markdown: string, heading: string): string {
  const at = markdown.indexOf(`\n## ${heading}\n`);
  if (at < 0) throw new Error(`no heading "## ${heading}"`);
  const m = /^```bash\n([\s\S]*?)^```/m.exec(markdown.slice(at));
  if (!m) throw new Error(`no bash block after "## ${heading}"`);
  return m[1];
}

/** Splits at ` | ` outside brackets. */
function alternatives(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '[') depth++;
    else if (text[i] === ']') depth--;
    else if (depth === 0 && text.startsWith(' | ', i)) {
      out.push(text.slice(start, i));
      start = i + 3;
    }
  }
  out.push(text.slice(start));
  return out;
}

/** Every text an alternative can be typed as: each `[...]` group left out or written in. */
function expand(text: string): string[] {
  const open = text.indexOf('[');
  if (open < 0) return [text];
  let depth = 0;
  let close = open;
  for (; close < text.length; close++) {
    if (text[close] === '[') depth++;
    else if (text[close] === ']' && --depth === 0) break;
  }
  const head = text.slice(0, open);
  const inner = alternatives(text.slice(open + 1, close)).flatMap(expand);
  const rests = expand(text.slice(close + 1));
  return ['', ...inner].flatMap((i) => rests.map((r) => head + i + r));
}

const normalize = (s: string) => s.replace(/\s+/g, ' ').trim();

export function writtenForms(block: string): Set<string> {
  const forms = new Set<string>();
  for (const raw of block.split('\n')) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (!line) continue;
    for (const alt of alternatives(line)) {
      const cmd = normalize(alt).startsWith('npm run cli -- ') ? normalize(alt) : `npm run cli -- ${normalize(alt)}`;
      for (const f of expand(cmd)) forms.add(normalize(f));
    }
  }
  return forms;
}
