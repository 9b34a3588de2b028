import { describe, expect, it } from 'vitest';
import { displayWidth, renderTable, truncate } from '../../src/platform/text-table.js';

describe('text tables', () => {
  it('counts CJK and full-width characters as two columns', () => {
    expect(displayWidth('abc')).toBe(3);
    expect(displayWidth('天城县')).toBe(6);
    expect(displayWidth('XM2026001 巡检司')).toBe(16);
    expect(displayWidth('（万元）')).toBe(8);
    expect(displayWidth('2×300MW')).toBe(7);
  });

  it('aligns columns by display width', () => {
    const lines = renderTable(
      [{ header: '编号' }, { header: '地区' }, { header: '总投资', align: 'right' }],
      [['XM1', '天城县', '265,561'], ['XM22', 'Gaoxin', '4,309']],
    );
    expect(lines).toEqual([
      '编号  地区     总投资',
      '----  ------  -------',
      'XM1   天城县  265,561',
      'XM22  Gaoxin    4,309',
    ]);
  });

  it('truncates long cells to a display width', () => {
    expect(truncate('巡检司电厂2×300MW机组扩建工程', 12)).toBe('巡检司电厂2…');
    expect(displayWidth(truncate('巡检司电厂2×300MW机组扩建工程', 12))).toBeLessThanOrEqual(12);
    expect(truncate('短', 12)).toBe('短');
  });
});
