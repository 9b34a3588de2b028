// The league table cards (擂台): one for the dispatch group, one per region group. Pure view →
// card JSON 2.0. The table is Feishu's table component (it pages itself, 10 rows at a time), the
// chart a VChart bar+line spec of completion rate against 序时进度. Size is checked against
// Feishu's 30 KB / 200 components: past a budget the chart keeps the top and bottom regions and
// the table continues on further cards ("续表"), each card self-contained.
import type { Card } from '../platform/feishu/lark-client.js';
import { escapeMarkdown, markdown, plain } from './elements.js';
import { cardStats } from './limits.js';

export type LeagueTableRow = {
  rank: string;
  name: string;
  movement: string;
  completion: string;
  lag: string;
  /** Monthly only. */
  startRate?: string;
  registeredRate?: string;
  privateShare?: string;
  yoy?: string;
  onTime: string;
  lights: string;
  /** For the chart: completion as a percentage number, null when not computed. */
  completionValue: number | null;
};

export type LeagueView = {
  title: string;
  subtitle: string;
  /** The city's headline, one paragraph. */
  headline: string;
  timeProgressValue: number;
  red: string[];
  black: string[];
  rows: LeagueTableRow[];
  /** Regions shown without a rank, with why. */
  notRanked: { name: string; reason: string }[];
  monthly: boolean;
  quarter: { title: string; rows: { rank: string; name: string; average: string }[] } | null;
};

export const CARD_BYTES_BUDGET = 28 * 1024;
export const CARD_COMPONENTS_BUDGET = 180;
const CHART_MAX_REGIONS = 30;

const COLUMNS_WEEKLY = [
  ['rank', '名次', 'text'], ['name', '地区', 'text'], ['movement', '变化', 'text'], ['completion', '完成率', 'text'],
  ['lag', '较序时进度', 'text'], ['onTime', '按时报送', 'text'], ['lights', '红黄绿灯', 'text'],
] as const;
const COLUMNS_MONTHLY = [
  ...COLUMNS_WEEKLY.slice(0, 5), ['yoy', '同比', 'text'], ['startRate', '开复工率', 'text'], ['registeredRate', '入统率', 'text'],
  ['privateShare', '民间投资占比', 'text'], ...COLUMNS_WEEKLY.slice(5),
] as const;

function tableElement(view: LeagueView, rows: LeagueTableRow[]) {
  const columns = view.monthly ? COLUMNS_MONTHLY : COLUMNS_WEEKLY;
  return {
    tag: 'table',
    page_size: 10,
    row_height: 'low',
    freeze_first_column: true,
    header_style: { bold: true, background_style: 'grey', text_size: 'normal' },
    columns: columns.map(([name, display_name, data_type]) => ({ name, display_name, data_type, width: name === 'name' ? '100px' : 'auto' })),
    rows: rows.map((r) => Object.fromEntries(columns.map(([name]) => [name, r[name] ?? '']))),
  };
}

/** VChart: bars of completion per region, a line of 序时进度. */
export function chartElement(view: LeagueView, rows: LeagueTableRow[]) {
  const data = rows.filter((r) => r.completionValue !== null).map((r) => ({ region: r.name, value: r.completionValue as number }));
  return {
    tag: 'chart',
    aspect_ratio: '16:9',
    chart_spec: {
      type: 'common',
      data: [
        { id: 'completion', values: data },
        { id: 'schedule', values: data.map((d) => ({ region: d.region, value: view.timeProgressValue })) },
      ],
      series: [
        { type: 'bar', dataId: 'completion', xField: 'region', yField: 'value', seriesField: 'region' },
        { type: 'line', dataId: 'schedule', xField: 'region', yField: 'value', point: { visible: false } },
      ],
      axes: [{ orient: 'left', title: { visible: true, text: '%' } }, { orient: 'bottom', label: { autoRotate: true } }],
      title: { text: '年度计划完成率与序时进度（%）' },
      legends: { visible: false },
    },
  };
}

function chartRows(rows: LeagueTableRow[]): { rows: LeagueTableRow[]; trimmed: boolean } {
  if (rows.length <= CHART_MAX_REGIONS) return { rows, trimmed: false };
  const half = CHART_MAX_REGIONS / 2;
  return { rows: [...rows.slice(0, half), ...rows.slice(-half)], trimmed: true };
}

const header = (title: string, subtitle: string) => ({ title: plain(title), subtitle: plain(subtitle), template: 'orange' });

const boardLine = (label: string, names: string[]) => `**${label}**：${names.length > 0 ? names.map(escapeMarkdown).join('、') : '无'}`;

function card(title: string, subtitle: string, elements: unknown[]): Card {
  return { schema: '2.0', config: { update_multi: true }, header: header(title, subtitle), body: { elements } };
}

const fits = (c: Card): boolean => {
  const s = cardStats(c);
  return s.bytes <= CARD_BYTES_BUDGET && s.components <= CARD_COMPONENTS_BUDGET;
};

/**
 * The dispatch group's cards: the first carries the headline, 红榜/黑榜, the chart and as much
 * of the table as fits; the rest carry the table on ("续表"). Every card fits Feishu's limits.
 */
export function buildLeagueCards(view: LeagueView): Card[] {
  const chart = chartRows(view.rows);
  const top: unknown[] = [
    markdown(escapeMarkdown(view.headline)),
    markdown(`${boardLine('🏆 红榜', view.red)}\n${boardLine('⚠️ 黑榜', view.black)}`),
  ];
  if (view.monthly && chart.rows.length > 0) {
    top.push(chartElement(view, chart.rows));
    if (chart.trimmed) top.push(markdown(`<font color='grey'>图表显示排名前${CHART_MAX_REGIONS / 2}位和后${CHART_MAX_REGIONS / 2}位地区，完整名次见下表。</font>`));
  }
  const tail: unknown[] = [];
  if (view.notRanked.length > 0) {
    tail.push(markdown(`**未参与排名**：${view.notRanked.map((n) => `${escapeMarkdown(n.name)}（${escapeMarkdown(n.reason.replace(/^不参与排名：/, ''))}）`).join('；')}`));
  }
  if (view.quarter) {
    tail.push(markdown(`**${escapeMarkdown(view.quarter.title)}**\n${view.quarter.rows.map((r) => `${r.rank}. ${escapeMarkdown(r.name)}（月均名次 ${r.average}）`).join('\n')}`));
  }

  const cards: Card[] = [];
  let remaining = view.rows;
  let first = true;
  while (first || remaining.length > 0) {
    const lead = first ? top : [markdown(`<font color='grey'>续表（第${cards.length + 1}页）</font>`)];
    // The most rows that fit, found by halving: card size grows with the rows.
    let n = remaining.length;
    const build = (k: number, withTail: boolean): Card =>
      card(view.title, view.subtitle, [...lead, ...(k > 0 ? [tableElement(view, remaining.slice(0, k))] : []), ...(withTail ? tail : [])]);
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (fits(build(mid, mid === remaining.length))) lo = mid;
      else hi = mid - 1;
    }
    n = lo;
    if (n === 0 && remaining.length > 0 && !first) throw new Error('a single league row does not fit a card');
    const last = n === remaining.length;
    cards.push(build(n, last && fits(build(n, true))));
    if (last && !fits(build(n, true))) cards.push(card(view.title, view.subtitle, tail));
    remaining = remaining.slice(n);
    first = false;
  }
  return cards;
}

export type RegionLeagueView = {
  title: string;
  subtitle: string;
  regionName: string;
  position: string;
  figures: string[];
  lagging: { name: string; light: string; reasons: string }[];
  laggingMore: number;
  escalations: { name: string; text: string }[];
  /** The region's line of the 季考评, on a quarter's last month only. */
  quarter?: string | null;
};

/** A region group's own card: its place, its figures, its lagging projects and open escalations. */
export function buildRegionLeagueCard(v: RegionLeagueView): Card {
  // Past the budget, the longest list loses its last lines ("……另有N个") until the card fits.
  let nLag = v.lagging.length;
  let nEsc = v.escalations.length;
  for (;;) {
    const c = regionCard(v, nLag, nEsc);
    if (fits(c) || (nLag === 0 && nEsc === 0)) return c;
    if (nEsc >= nLag) nEsc--;
    else nLag--;
  }
}

function regionCard(v: RegionLeagueView, nLag: number, nEsc: number): Card {
  const lagMore = v.laggingMore + v.lagging.length - nLag;
  const lagging = v.lagging.length === 0
    ? '本期无红灯、黄灯项目。'
    : [...v.lagging.slice(0, nLag).map((l) => `${l.light} ${escapeMarkdown(l.name)}：${escapeMarkdown(l.reasons)}`), ...(lagMore > 0 ? [`……另有${lagMore}个`] : [])].join('\n');
  const escMore = v.escalations.length - nEsc;
  const esc = v.escalations.length === 0
    ? '无'
    : [...v.escalations.slice(0, nEsc).map((e) => `${escapeMarkdown(e.name)}：${escapeMarkdown(e.text)}`), ...(escMore > 0 ? [`……另有${escMore}项`] : [])].join('\n');
  return card(v.title, v.subtitle, [
    markdown(`**${escapeMarkdown(v.regionName)}** ${escapeMarkdown(v.position)}${v.quarter ? `\n${escapeMarkdown(v.quarter)}` : ''}`),
    markdown(v.figures.map(escapeMarkdown).join('\n')),
    markdown(`**滞后项目**\n${lagging}`),
    markdown(`**未办结督办**\n${esc}`),
  ]);
}
