import { describe, expect, it } from 'vitest';
import {
  canonicalListName, cellKey, cellText, defaultFrequency, parseDate, parseEmail, parseFrequency, parseLists, parseMobile, parseMoney,
  parseStage, personName, regionKind,
} from '../../src/registry/cell-parsers.js';

describe('parseDate', () => {
  it.each([
    ['2026-03-01', '2026-03-01'],
    ['2026/3/1', '2026-03-01'],
    ['2026年3月1日', '2026-03-01'],
    ['2026.3.1', '2026-03-01'],
    ['2026-03', '2026-03-01'],
    ['2026年3月', '2026-03-01'],
    ['20260301', '2026-03-01'],
    [' 2026 / 3 / 1 ', '2026-03-01'],
    ['２０２６－０３－０１', '2026-03-01'],
    ['2026-03-01 00:00:00', '2026-03-01'],
    ['46082', '2026-03-01'],
  ])('reads %j as %s', (input, want) => {
    expect(parseDate(input)).toEqual({ ok: true, value: want });
  });

  it('reads Excel serial numbers, including ones with a time part', () => {
    expect(parseDate(46082)).toEqual({ ok: true, value: '2026-03-01' });
    expect(parseDate(46082.75)).toEqual({ ok: true, value: '2026-03-01' });
    expect(parseDate(45337)).toEqual({ ok: true, value: '2024-02-15' });
    expect(parseDate(20260301)).toEqual({ ok: true, value: '2026-03-01' });
  });

  it('reads Date objects at local or UTC midnight as that calendar day', () => {
    expect(parseDate(new Date(2026, 2, 1))).toEqual({ ok: true, value: '2026-03-01' });
    expect(parseDate(new Date(Date.UTC(2026, 2, 1)))).toEqual({ ok: true, value: '2026-03-01' });
  });

  it('treats an empty cell as no date', () => {
    expect(parseDate(null)).toEqual({ ok: true, value: null });
    expect(parseDate('  ')).toEqual({ ok: true, value: null });
  });

  it.each([['2026-13-01', '月份不存在'], ['2026-02-30', '只有28天'], ['明年', '无法识别'], ['2026.3', null], [2026.3, '无法识别'], ['1900-01-01', '年份不合理']])(
    'refuses %j',
    (input, reason) => {
      const r = parseDate(input);
      if (reason === null) {
        // "2026.3" typed as text is March (a string keeps what was typed).
        expect(r).toEqual({ ok: true, value: '2026-03-01' });
        return;
      }
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toContain(reason);
    },
  );
});

describe('parseMobile', () => {
  it.each([
    ['13900000001', '13900000001'],
    ['+86 139 0000 0001', '13900000001'],
    ['86-139-0000-0001', '13900000001'],
    ['0086 13900000001', '13900000001'],
    ['139-0000-0001', '13900000001'],
    [13900000001, '13900000001'],
    ['１３９００００００01', '13900000001'],
  ])('normalises %j', (input, want) => {
    expect(parseMobile(input)).toEqual({ ok: true, value: want });
  });

  it('treats an empty cell as no number', () => {
    expect(parseMobile(null)).toEqual({ ok: true, value: null });
  });

  it.each([
    ['0871-65123456', '座机'],
    ['65123456', '座机'],
    ['1390000001', '格式不正确'],
    ['12900000001', '格式不正确'],
    ['13900000001、13900000002', '多个号码'],
    ['abc', '格式不正确'],
  ])('refuses %j', (input, reason) => {
    const r = parseMobile(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(reason);
  });
});

describe('parseMoney', () => {
  it('takes a bare figure in the column unit and a figure with its own unit as written', () => {
    expect(parseMoney('265561', '万元')).toEqual({ ok: true, value: '265561' });
    expect(parseMoney('1,200.5', '万元')).toEqual({ ok: true, value: '1200.5' });
    expect(parseMoney(3.21, '亿元')).toEqual({ ok: true, value: '32100' });
    expect(parseMoney('3.21', '亿元')).toEqual({ ok: true, value: '32100' });
    expect(parseMoney('500万', '亿元')).toEqual({ ok: true, value: '500' });
    expect(parseMoney('3,000,000', '元')).toEqual({ ok: true, value: '300' });
    expect(parseMoney(null, '万元')).toEqual({ ok: true, value: null });
  });

  it('refuses negatives and text with the shared parser\'s reasons', () => {
    expect(parseMoney('-100', '万元')).toEqual({ ok: false, reason: '金额不能为负数' });
    expect(parseMoney('待定', '万元').ok).toBe(false);
    expect(parseMoney('约500', '万元').ok).toBe(false);
  });
});

describe('keywords', () => {
  it('knows the six stages and nothing else', () => {
    expect(parseStage('续建')).toEqual({ ok: true, value: '续建' });
    expect(parseStage(' 新开工 ')).toEqual({ ok: true, value: '新开工' });
    const bad = parseStage('施工');
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.reason).toBe('项目阶段“施工”无效，应为 谋划、前期、新开工、续建、竣工、投产 之一');
  });

  it('maps the ways people write a frequency', () => {
    for (const w of ['每周', '周', 'weekly', 'Weekly']) expect(parseFrequency(w)).toEqual({ ok: true, value: 'weekly' });
    for (const m of ['每月', '月', 'monthly']) expect(parseFrequency(m)).toEqual({ ok: true, value: 'monthly' });
    expect(parseFrequency('')).toEqual({ ok: true, value: null });
    expect(parseFrequency('每季').ok).toBe(false);
  });

  it('splits lists on every separator people use and drops the 清单 suffix', () => {
    expect(parseLists('在建项目、专项债券项目清单;重大谋划项目，在建项目')).toEqual(['在建项目', '专项债券项目', '重大谋划项目']);
    expect(canonicalListName('已开工未入统项目清单')).toBe('已开工未入统项目');
    expect(defaultFrequency(['已开工未入统项目'])).toBe('weekly');
    expect(defaultFrequency(['在建项目'])).toBe('monthly');
    expect(defaultFrequency([])).toBe('monthly');
  });

  it('infers region kinds from the suffix', () => {
    expect(regionKind('天城县')).toBe('县');
    expect(regionKind('东城区')).toBe('区');
    expect(regionKind('高新区')).toBe('开发区');
    expect(regionKind('临港新区')).toBe('开发区');
    expect(regionKind('工业园区')).toBe('开发区');
    expect(regionKind('经济技术开发区')).toBe('开发区');
    expect(regionKind('安宁市')).toBe('市');
    expect(regionKind('市本级')).toBe('其他');
  });

  it('cleans names and text', () => {
    expect(personName('周  敏')).toBe('周敏');
    expect(personName('John Smith')).toBe('John Smith');
    expect(cellText('  a \n b ')).toBe('a b');
    expect(cellText(13900000001)).toBe('13900000001');
    expect(parseEmail(' Du.Lei@Example.com ')).toEqual({ ok: true, value: 'du.lei@example.com' });
    expect(parseEmail('du.lei').ok).toBe(false);
  });
});

describe('cellText and cellKey take their shortcuts only where the long way gives the same', () => {
  // The slow forms the shortcuts stand for: collapse every run of whitespace (incl. no-break and
  // ideographic spaces) and trim; keys are NFKC-folded as well.
  const slowText = (s: string) => s.replace(/[\s\u00a0\u3000]+/g, ' ').trim();
  const slowKey = (s: string) => slowText(s).normalize('NFKC').trim();
  // Seeded, so a failure names a case that can be run again.
  let seed = 20261130;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const alphabet = ['A', 'z', '0', '9', '-', ' ', '\t', '\n', '\u00a0', '\u3000', '天', '城', '县', 'Ｘ', '２', '\uf900', 'ｶ', '①', 'é', 'e\u0301', '\u2028', '（', '、'];
  const samples = Array.from({ length: 3_000 }, () =>
    Array.from({ length: Math.floor(random() * 8) }, () => alphabet[Math.floor(random() * alphabet.length)]).join(''));

  it('on generated text of ASCII, CJK, full-width, compatibility and spacing characters', () => {
    for (const s of [...samples, '', 'XM2026001', '天城县', 'ＸＭ２０２６００１', '\uf900', ' 天城县 ', '天\u3000城']) {
      expect(cellText(s), JSON.stringify(s)).toBe(slowText(s));
      expect(cellKey(s), JSON.stringify(s)).toBe(slowKey(s));
    }
  });

  it('folds full-width codes and compatibility ideographs, and leaves plain codes and names as they are', () => {
    expect(cellKey('ＸＭ２０２６００１')).toBe('XM2026001');
    // U+F900, a compatibility ideograph, is U+8C48 (豈).
    expect(cellKey('\uf900')).toBe('\u8c48');
    expect(cellKey('XM-2026 001')).toBe('XM-2026 001');
    expect(cellKey('天城县')).toBe('天城县');
  });
});
