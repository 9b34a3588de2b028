// Draws a card's `chart` component from its VChart spec as SVG: bar (grouped), line, area and
// pie, with axes, a legend and the title — what the bot's charts use. A small stand-in for
// VChart itself, which the console does not ship (it is several megabytes).
import { escapeHtml, isRecord, list, str } from './dom.js';

const PALETTE = ['#3370ff', '#34c724', '#ff8800', '#f54a45', '#7f3bf5', '#14c0ff', '#ffc60a', '#f14bae'];
const W = 480;
const H = 260;

type Row = Record<string, unknown>;

function values(spec: Row): Row[] {
  const data = spec.data;
  const sets = Array.isArray(data) ? data : [data];
  return sets.flatMap((d) => (isRecord(d) ? list(d.values).filter(isRecord) : []));
}

const field = (v: unknown): string => (Array.isArray(v) ? str(v[0]) : str(v));
const num = (v: unknown): number => (typeof v === 'number' ? v : Number(str(v)) || 0);

export function chartSvg(spec: unknown): string {
  if (!isRecord(spec)) return '<div class="chart-empty">图表数据无效</div>';
  const type = str(spec.type);
  const title = isRecord(spec.title) ? str(spec.title.text) : '';
  const rows = values(spec);
  if (rows.length === 0) return `<div class="chart-empty">${escapeHtml(title)}（无数据）</div>`;
  const body = type === 'pie' ? pie(spec, rows) : cartesian(spec, rows, type);
  const heading = title ? `<text x="${W / 2}" y="18" text-anchor="middle" class="chart-title">${escapeHtml(title)}</text>` : '';
  return `<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" data-chart-type="${escapeHtml(type)}">${heading}${body}</svg>`;
}

function legend(names: string[], y: number): string {
  if (names.length < 2) return '';
  return names
    .map((n, i) => `<rect x="${40 + i * 90}" y="${y}" width="10" height="10" fill="${PALETTE[i % PALETTE.length]}"/><text x="${54 + i * 90}" y="${y + 9}" class="chart-label">${escapeHtml(n)}</text>`)
    .join('');
}

function cartesian(spec: Row, rows: Row[], type: string): string {
  // Horizontal bars name the category on y; we draw them vertically all the same.
  const horizontal = spec.direction === 'horizontal';
  const xField = field(horizontal ? spec.yField : spec.xField);
  const yField = field(horizontal ? spec.xField : spec.yField);
  const seriesField = str(spec.seriesField);
  const categories = [...new Set(rows.map((r) => str(r[xField])))];
  const seriesNames = seriesField ? [...new Set(rows.map((r) => str(r[seriesField])))] : [''];
  const at = (cat: string, s: string): number => {
    const r = rows.find((row) => str(row[xField]) === cat && (!seriesField || str(row[seriesField]) === s));
    return r ? num(r[yField]) : 0;
  };
  const max = Math.max(1, ...rows.map((r) => num(r[yField])));
  const left = 48, right = W - 16, top = 30, bottom = H - (seriesNames.length > 1 ? 44 : 28);
  const y = (v: number): number => bottom - (v / max) * (bottom - top);
  const band = (right - left) / categories.length;
  const parts: string[] = [];
  for (let t = 0; t <= 4; t++) {
    const v = (max * t) / 4;
    parts.push(`<line x1="${left}" x2="${right}" y1="${y(v)}" y2="${y(v)}" class="chart-grid"/><text x="${left - 6}" y="${y(v) + 4}" text-anchor="end" class="chart-label">${Number(v.toFixed(1))}</text>`);
  }
  categories.forEach((c, i) => parts.push(`<text x="${left + band * (i + 0.5)}" y="${bottom + 16}" text-anchor="middle" class="chart-label">${escapeHtml(c)}</text>`));
  seriesNames.forEach((s, si) => {
    const color = PALETTE[si % PALETTE.length];
    if (type === 'line' || type === 'area') {
      const points = categories.map((c, i) => `${left + band * (i + 0.5)},${y(at(c, s))}`);
      if (type === 'area') parts.push(`<polygon points="${left + band / 2},${bottom} ${points.join(' ')} ${left + band * (categories.length - 0.5)},${bottom}" fill="${color}" opacity="0.2"/>`);
      parts.push(`<polyline points="${points.join(' ')}" fill="none" stroke="${color}" stroke-width="2"/>`);
      points.forEach((p) => parts.push(`<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="3" fill="${color}"/>`));
    } else {
      const barW = Math.min((band * 0.6) / seriesNames.length, 40);
      categories.forEach((c, i) => {
        const v = at(c, s);
        const x = left + band * i + (band - barW * seriesNames.length) / 2 + barW * si;
        parts.push(`<rect class="chart-bar" x="${x}" y="${y(v)}" width="${barW}" height="${bottom - y(v)}" fill="${color}"><title>${escapeHtml(`${c} ${s} ${v}`)}</title></rect>`);
      });
    }
  });
  parts.push(legend(seriesNames, H - 16));
  return parts.join('');
}

function pie(spec: Row, rows: Row[]): string {
  const valueField = field(spec.valueField ?? spec.angleField);
  const categoryField = field(spec.categoryField ?? spec.seriesField);
  const total = rows.reduce((sum, r) => sum + num(r[valueField]), 0) || 1;
  const cx = W / 2 - 60, cy = H / 2 + 8, radius = 90;
  let angle = -Math.PI / 2;
  const parts: string[] = [];
  rows.forEach((r, i) => {
    const share = num(r[valueField]) / total;
    const end = angle + share * Math.PI * 2;
    const large = share > 0.5 ? 1 : 0;
    const [x1, y1, x2, y2] = [cx + radius * Math.cos(angle), cy + radius * Math.sin(angle), cx + radius * Math.cos(end), cy + radius * Math.sin(end)];
    const color = PALETTE[i % PALETTE.length];
    parts.push(share >= 0.9999
      ? `<circle cx="${cx}" cy="${cy}" r="${radius}" fill="${color}"/>`
      : `<path d="M${cx},${cy} L${x1},${y1} A${radius},${radius} 0 ${large} 1 ${x2},${y2} Z" fill="${color}"/>`);
    parts.push(`<rect x="${cx + radius + 30}" y="${40 + i * 20}" width="10" height="10" fill="${color}"/><text x="${cx + radius + 46}" y="${49 + i * 20}" class="chart-label">${escapeHtml(`${str(r[categoryField])} ${(share * 100).toFixed(1)}%`)}</text>`);
    angle = end;
  });
  return parts.join('');
}
