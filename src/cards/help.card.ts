// What the bot understands, for anyone who asks (帮助) or says something it did not understand.
import type { Card } from '../platform/feishu/lark-client.js';
import { markdown, noticeElement, plain } from './elements.js';

export function buildHelpCard(opts: { notice?: string } = {}): Card {
  const lines = [
    '**填报**：重新发送您本期待填报项目的填报卡片',
    '**我的项目**：查看您负责的项目、预警灯和最近一次填报的数字',
    '**问题**：查看与您有关、尚未闭环的问题',
    '**我的督办** / **待办**：领导查看待处理的督办事项；待办会发来可直接操作的最新卡片',
    '**项目 XM…**：查看项目状态和预警灯记录',
    '**帮助**：显示本说明',
    '',
    '也可以直接发一句进展，例如“本周完成投资500万元，主体结构封顶”，我会生成一张预填好的填报卡片，**您确认提交后才算填报**。',
    '填报后直接把形象进度照片发给我，会关联到本期填报。',
    '金额单位默认万元，可写 500、500万、1,200.5万元、3.21亿，请不要写“五百万”“约500万”。',
  ];
  return {
    schema: '2.0',
    config: { update_multi: true },
    header: { title: plain('项目调度助手使用说明'), template: 'blue' },
    body: { elements: [...(opts.notice ? [noticeElement({ level: 'info', text: opts.notice })] : []), markdown(lines.join('\n'))] },
  };
}
