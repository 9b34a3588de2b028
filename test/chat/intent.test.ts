import { describe, expect, it } from 'vitest';
import { parseIntent } from '../../src/domain/chat-intent.js';
import { decodeMessage, stripMentions } from '../../src/platform/feishu/message-content.js';

describe('parseIntent: commands', () => {
  it.each([
    ['填报', 'fill'],
    [' 填报。', 'fill'],
    ['/填报', 'fill'],
    ['我的项目', 'my_projects'],
    ['问题', 'problems'],
    ['问题台账', 'problems'],
    ['帮助', 'help'],
    ['HELP', 'help'],
    ['？', 'help'],
  ])('%s → %s', (text, kind) => {
    expect(parseIntent(text).kind).toBe(kind);
  });

  it('treats anything else without a figure as not understood', () => {
    expect(parseIntent('你好')).toEqual({ kind: 'unknown', text: '你好' });
    expect(parseIntent('主体结构封顶')).toEqual({ kind: 'unknown', text: '主体结构封顶' });
  });
});

describe('parseIntent: drafts', () => {
  it.each([
    ['本周完成投资500万元,主体结构封顶', '500万元', '500', '主体结构封顶'],
    ['本周完成投资500万元，主体结构封顶', '500万元', '500', '主体结构封顶'],
    ['完成投资1,200.5万元，二层楼板浇筑完成；外墙开始施工', '1,200.5万元', '1200.5', '二层楼板浇筑完成，外墙开始施工'],
    ['本月完成3.21亿', '3.21亿', '32100', ''],
    ['本期投资完成 80 万元 设备安装', '80 万元', '80', '设备安装'],
    ['主体结构封顶，本周完成投资５００万', '500万', '500', '主体结构封顶'],
    ['完成投资：0.5亿元', '0.5亿元', '5000', ''],
  ])('%s', (text, amountText, value, progress) => {
    const i = parseIntent(text);
    expect(i).toMatchObject({ kind: 'draft', amountText, amount: { ok: true, value }, progress });
  });

  it.each([
    ['本周完成投资五百万元，主体结构封顶', /阿拉伯数字/],
    ['本周完成投资约500万', /确切金额/],
    ['本周完成投资500多万', /确切金额/],
  ])('keeps a figure the parser refuses, with its reason: %s', (text, reason) => {
    const i = parseIntent(text);
    expect(i.kind).toBe('draft');
    if (i.kind === 'draft') {
      expect(i.amount.ok).toBe(false);
      if (!i.amount.ok) expect(i.amount.reason).toMatch(reason);
    }
  });
});

describe('message content', () => {
  it('strips @-mention placeholders', () => {
    expect(stripMentions('@_user_1 填报', ['@_user_1'])).toBe('填报');
    expect(decodeMessage('text', JSON.stringify({ text: '@_user_1  我的项目 ' }), ['@_user_1'])).toEqual({ kind: 'text', text: '我的项目' });
  });
  it('reads images and images inside rich text', () => {
    expect(decodeMessage('image', JSON.stringify({ image_key: 'img_v2_1' }))).toEqual({ kind: 'image', imageKeys: ['img_v2_1'] });
    const post = { title: '', content: [[{ tag: 'img', image_key: 'img_a' }], [{ tag: 'text', text: '现场' }, { tag: 'img', image_key: 'img_b' }]] };
    expect(decodeMessage('post', JSON.stringify(post))).toEqual({ kind: 'image', imageKeys: ['img_a', 'img_b'] });
    expect(decodeMessage('post', JSON.stringify({ zh_cn: { title: '', content: [[{ tag: 'text', text: '帮助' }]] } }))).toEqual({ kind: 'text', text: '帮助' });
  });
  it('calls anything else "other"', () => {
    expect(decodeMessage('sticker', JSON.stringify({ file_key: 'x' }))).toEqual({ kind: 'other', messageType: 'sticker' });
    expect(decodeMessage('text', 'not json')).toEqual({ kind: 'other', messageType: 'text' });
  });
});
