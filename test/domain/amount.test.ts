import { describe, it, expect } from 'vitest';
import { Decimal } from 'decimal.js';
import { canonical, compareAmounts, formatPercent, formatWan, parseAmountWan } from '../../src/domain/amount.js';

const valueOf = (input: string | number, allowNegative = false): string => {
  const r = parseAmountWan(input, { allowNegative });
  if (!r.ok) throw new Error(`expected ${JSON.stringify(input)} to parse, got: ${r.reason}`);
  return r.value;
};
const reasonOf = (input: string | number, allowNegative = false): string => {
  const r = parseAmountWan(input, { allowNegative });
  if (r.ok) throw new Error(`expected ${JSON.stringify(input)} to be refused, got ${r.value}`);
  return r.reason;
};

describe('parseAmountWan: accepted forms, in 万元', () => {
  it.each([
    ['500', '500'],
    ['500万', '500'],
    ['500万元', '500'],
    ['500万元整', '500'],
    ['500.00', '500'],
    ['1,200.5', '1200.5'],
    ['1，200.5', '1200.5'],
    ['12,345,678', '12345678'],
    ['3.21亿', '32100'],
    ['0.5亿元', '5000'],
    ['1亿', '10000'],
    ['５００万', '500'],
    ['１，２００．５', '1200.5'],
    ['１，２００．５万', '1200.5'],
    ['  500 万元  ', '500'],
    ['\u3000500万\u3000', '500'],
    ['5000000元', '500'],
    ['5,000,000元', '500'],
    ['12345元', '1.2345'],
    ['¥500万', '500'],
    ['￥5000000元', '500'],
    ['+500', '500'],
    ['0', '0'],
    ['0.0001', '0.0001'],
    ['3亿500万', '30500'],
    ['3亿500万元', '30500'],
    ['1.5亿20.5万', '15020.5'],
  ])('%s → %s', (input, expected) => {
    expect(valueOf(input)).toBe(expected);
  });

  it('takes numbers as 万元 and refuses float artefacts instead of rounding them', () => {
    expect(valueOf(500)).toBe('500');
    expect(valueOf(1200.5)).toBe('1200.5');
    expect(reasonOf(0.1 + 0.2)).toContain('4位小数');
    expect(reasonOf(Number.NaN)).toContain('有效数字');
  });

  it('never uses exponent notation', () => {
    expect(valueOf('99999999.9999')).toBe('99999999.9999');
    expect(valueOf('0.0001亿')).toBe('1');
    expect(valueOf('1元')).toBe('0.0001');
  });
});

describe('parseAmountWan: negatives', () => {
  it('refuses negatives by default', () => {
    expect(reasonOf('-500')).toBe('金额不能为负数');
    expect(reasonOf('－５００万')).toBe('金额不能为负数');
    expect(reasonOf('\u2212500')).toBe('金额不能为负数');
    expect(reasonOf(-5)).toBe('金额不能为负数');
  });

  it('accepts them when allowed (corrections)', () => {
    expect(valueOf('-500', true)).toBe('-500');
    expect(valueOf('-0.5亿', true)).toBe('-5000');
    expect(valueOf('-3亿500万', true)).toBe('-30500');
  });

  it('treats -0 as 0', () => {
    expect(valueOf('-0')).toBe('0');
  });
});

describe('parseAmountWan: refusals name the problem in Chinese', () => {
  it.each([
    ['五百', '阿拉伯数字'],
    ['壹亿', '阿拉伯数字'],
    ['5千万', '阿拉伯数字'],
    ['三亿五千万元', '阿拉伯数字'],
    ['', '不能为空'],
    ['   ', '不能为空'],
    ['万元', '没有找到金额数字'],
    ['500-600', '多个数字'],
    ['500~600万', '多个数字'],
    ['500—600', '多个数字'],
    ['约500或600', '多个数字'],
    ['1 200', '多个数字'],
    ['约500', '确切金额'],
    ['500左右', '确切金额'],
    ['500多万', '确切金额'],
    ['近500万', '确切金额'],
    ['1,20', '千分位'],
    ['1,2000', '千分位'],
    ['1.200,5', '千分位'],
    ['1.200.5', '多个小数点'],
    ['500.', '末尾'],
    ['500美元', '无法识别的单位或文字“美元”'],
    ['500w', '无法识别的单位'],
    ['1.5万亿', '无法识别的单位'],
    ['3亿500', '单位不明确'],
    ['3亿500元', '单位不明确'],
    ['3亿12000万', '小于10000'],
    ['0.00001', '4位小数'],
    ['5000000.5元', '精确到元'],
    ['200000000', '超过1万亿元'],
  ])('%s → reason mentions %s', (input, fragment) => {
    expect(reasonOf(input)).toContain(fragment);
  });
});

describe('formatWan', () => {
  it.each([
    ['4200', undefined, '4,200'],
    ['1200.5', undefined, '1,200.5'],
    ['0', undefined, '0'],
    ['999', undefined, '999'],
    ['1234567.8901', undefined, '1,234,567.8901'],
    ['-30500', undefined, '-30,500'],
    ['1200.5', 2, '1,200.50'],
    ['1200.456', 1, '1,200.5'],
    ['-0.01', 1, '0.0'],
  ] as const)('%s (decimals %s) → %s', (value, decimals, expected) => {
    expect(formatWan(value, { decimals })).toBe(expected);
  });

  it('appends the unit on request and takes Decimals', () => {
    expect(formatWan(new Decimal('32100'), { unit: true })).toBe('32,100万元');
  });
});

describe('formatPercent', () => {
  it.each([
    ['0.7', 1, '70.0%'],
    ['0.66666666', 1, '66.7%'],
    ['0.00045', 2, '0.05%'],
    ['1.238', 0, '124%'],
    ['-0.0001', 1, '0.0%'],
    ['-0.125', 1, '-12.5%'],
  ] as const)('%s (%d digits) → %s', (ratio, digits, expected) => {
    expect(formatPercent(ratio, digits)).toBe(expected);
  });

  it('defaults to one decimal and accepts Decimals', () => {
    expect(formatPercent(new Decimal(8).dividedBy(12))).toBe('66.7%');
  });
});

describe('canonical', () => {
  it('trims trailing zeros and never prints an exponent', () => {
    expect(canonical('500.000')).toBe('500');
    expect(canonical('1e-4')).toBe('0.0001');
    expect(canonical('1e21')).toBe('1000000000000000000000');
  });
});

/** Deterministic figures around the edges the fast paths decide on: signs, zeros, 4 decimals, 1e8. */
function figures(): { numbers: number[]; texts: string[] } {
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 10)).join('');
  const numbers = [0, -0, 1e8, -1e8, 1e8 + 0.0001, 99999999.9999, 0.0001, 0.00001, 1e-7, 1e21, 0.1 + 0.2, 123.45, -5, 2 ** 53];
  const texts = ['0', '-0', '0.0', '00', '007', '7.000', '-0.000', '100000000', '100000001', '.5', '5.', '-.5', '1e5', '0.10', '1,000'];
  for (let i = 0; i < 3000; i++) {
    const whole = digits(1 + Math.floor(random() * 10));
    const fraction = digits(Math.floor(random() * 7));
    const sign = random() < 0.2 ? '-' : '';
    texts.push(`${sign}${whole}${fraction ? `.${fraction}` : ''}`);
    numbers.push(Number(`${sign}${whole}.${fraction}`));
  }
  return { numbers, texts };
}

describe('fast paths agree with Decimal', () => {
  const { numbers, texts } = figures();
  // What parseAmountWan gave for numbers before its fast path, and canonical for any text.
  const decimalParse = (n: number, allowNegative: boolean) => {
    const d = new Decimal(n);
    if (d.isNegative() && !d.isZero() && !allowNegative) return 'negative';
    if (d.decimalPlaces() > 4 || d.abs().gt(1e8)) return 'refused';
    return d.isZero() ? '0' : d.toFixed();
  };
  const outcome = (r: ReturnType<typeof parseAmountWan>) => (r.ok ? r.value : r.reason === '金额不能为负数' ? 'negative' : 'refused');

  it('parseAmountWan takes a number as new Decimal(number) would', () => {
    for (const n of numbers) {
      for (const allowNegative of [false, true]) expect(outcome(parseAmountWan(n, { allowNegative })), String(n)).toBe(decimalParse(n, allowNegative));
    }
  });

  it('parseAmountWan takes canonical text as itself and anything else through the full parser', () => {
    // Up to 13 significant digits here, so Number(t) is exactly the figure the text says.
    for (const t of texts.filter((x) => /^[0-9]+(\.[0-9]+)?$/.test(x))) {
      expect(outcome(parseAmountWan(t)), t).toBe(outcome(parseAmountWan(Number(t))));
    }
  });

  it('canonical gives what Decimal gives, with or without the fast path', () => {
    for (const t of texts.filter((x) => !Number.isNaN(Number(x)) && !x.includes(','))) {
      const d = new Decimal(t);
      expect(canonical(t), t).toBe(d.isZero() ? '0' : d.toFixed());
    }
  });

  it('compareAmounts orders plain text as Decimal does, trailing and leading zeros included', () => {
    const plain = texts.filter((x) => /^-?[0-9]+(\.[0-9]*)?$/.test(x));
    for (let i = 0; i < plain.length; i++) {
      const a = plain[i];
      for (const b of [plain[(i * 7 + 1) % plain.length], plain[(i * 13 + 5) % plain.length], a, `${a}${a.includes('.') ? '' : '.'}00`]) {
        expect(compareAmounts(a, b), `${a} vs ${b}`).toBe(new Decimal(a).comparedTo(b));
      }
    }
    expect(compareAmounts('-0.000', '0')).toBe(0);
    expect(compareAmounts('120.5000', '120.5')).toBe(0);
    expect(compareAmounts('9', '10')).toBe(-1);
    expect(compareAmounts('-9', '-10')).toBe(1);
    expect(compareAmounts(new Decimal('1.5'), '1.25')).toBe(1);
  });
});
