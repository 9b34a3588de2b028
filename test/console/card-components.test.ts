// The console draws every component a card may hold as a person sees it, and a form's submit
// reaches the bot with Feishu's payload: button value and name, every named field in form_value
// (multi-select as a list, a date as "YYYY-MM-DD +0800"). The "bot" here is a bare HTTP server
// that records what it is sent, so the test sees the delivery byte for byte.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachConsole, FakeFeishu, FeishuDriver, SANDBOX_APP_ID, SANDBOX_APP_SECRET } from '../../src/sandbox/index.js';
import { launchBrowser, screenshotWhole, waitFor, type Browser } from './browser.js';

const SCREENSHOTS = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));

const plain = (content: string) => ({ tag: 'plain_text', content });

const CARD = {
  schema: '2.0',
  config: { update_multi: true },
  header: { title: plain('组件一览'), subtitle: plain('每种组件一个'), template: 'wathet' },
  body: {
    elements: [
      { tag: 'markdown', content: "**粗体** <font color='red'>红字</font>\n- 第一项\n- 第二项" },
      { tag: 'div', text: plain('纯文本 div') },
      { tag: 'hr' },
      {
        tag: 'column_set',
        columns: [
          { tag: 'column', width: 'weighted', weight: 1, elements: [{ tag: 'markdown', content: '左栏' }] },
          { tag: 'column', width: 'weighted', weight: 1, elements: [{ tag: 'markdown', content: '右栏' }] },
        ],
      },
      {
        tag: 'table',
        columns: [
          { name: 'district', display_name: '区县', data_type: 'text' },
          { name: 'amount', display_name: '完成投资', data_type: 'number', format: { precision: 1 } },
        ],
        rows: [{ district: '城关区', amount: 1200 }, { district: '河西区', amount: 850.5 }],
      },
      {
        tag: 'chart',
        chart_spec: { type: 'bar', title: { text: '各区完成投资' }, data: { values: [{ d: '城关区', v: 1200 }, { d: '河西区', v: 850 }] }, xField: 'd', yField: 'v' },
      },
      { tag: 'img', img_key: 'img_v3_missing', alt: plain('现场照片') },
      { tag: 'collapsible_panel', expanded: false, header: { title: plain('展开看明细') }, elements: [{ tag: 'markdown', content: '折叠内容' }] },
      {
        tag: 'form',
        name: 'f',
        elements: [
          { tag: 'input', name: 'note', placeholder: plain('备注'), required: true },
          { tag: 'select_static', name: 'one', options: [{ text: plain('甲'), value: 'a' }, { text: plain('乙'), value: 'b' }], initial_index: 2 },
          { tag: 'multi_select_static', name: 'many', options: [{ text: plain('红'), value: 'r' }, { text: plain('绿'), value: 'g' }, { text: plain('蓝'), value: 'b' }] },
          { tag: 'date_picker', name: 'day' },
          { tag: 'button', name: 'go', text: plain('提交'), type: 'primary_filled', form_action_type: 'submit', behaviors: [{ type: 'callback', value: { a: 'test.submit' } }] },
        ],
      },
    ],
  },
};

describe('console card rendering', { timeout: 60_000 }, () => {
  const fake = new FakeFeishu();
  let bot: Server;
  const received: Record<string, unknown>[] = [];
  let browser: Browser | undefined;
  let owner: string;
  let messageId: string;

  beforeAll(async () => {
    const url = await fake.start();
    bot = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        received.push(JSON.parse(raw) as Record<string, unknown>);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ toast: { type: 'success', content: '已收到' } }));
      });
    });
    await new Promise<void>((r) => bot.listen(0, '127.0.0.1', r));
    const driver = new FeishuDriver({ targetUrl: `http://127.0.0.1:${(bot.address() as AddressInfo).port}/`, appId: SANDBOX_APP_ID, verificationToken: 'v', fake });
    attachConsole(fake, { driver });
    owner = fake.addUser({ name: '杜磊秀', mobile: '13900000001' });
    // The card goes in through the Open API, as the bot would send it.
    const token = (await (await fetch(`${url}/open-apis/auth/v3/tenant_access_token/internal`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ app_id: SANDBOX_APP_ID, app_secret: SANDBOX_APP_SECRET }) })).json()) as { tenant_access_token: string };
    const sent = (await (await fetch(`${url}/open-apis/im/v1/messages?receive_id_type=open_id`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token.tenant_access_token}` },
      body: JSON.stringify({ receive_id: owner, msg_type: 'interactive', content: JSON.stringify(CARD) }),
    })).json()) as { code: number; data: { message_id: string } };
    expect(sent.code).toBe(0);
    messageId = sent.data.message_id;
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => bot?.close(r));
    await fake.stop();
  });

  it('draws each component and submits the form as Feishu would', async () => {
    const page = browser!.page;
    await page.goto(`${fake.url}/#u=${owner}`);
    const card = page.locator(`.msg[data-message-id="${messageId}"] .card`);
    await card.waitFor();
    expect(await card.locator('.card-header').getAttribute('data-template')).toBe('wathet');
    expect(await card.locator('.md b').first().innerText()).toBe('粗体');
    expect(await card.locator('.md li').count()).toBe(2);
    expect(await card.locator('.c-columns .c-column').count()).toBe(2);
    expect(await card.locator('.c-table tbody tr').count()).toBe(2);
    expect(await card.locator('.c-table tbody tr').last().innerText()).toContain('850.5');
    expect(await card.locator('svg.chart rect.chart-bar').count()).toBe(2);
    await card.locator('.c-img-missing').waitFor();
    expect(await card.locator('details.c-panel').getAttribute('open')).toBeNull();
    expect(await card.locator('select[name="one"]').inputValue()).toBe('b');
    await screenshotWhole(page, card, `${SCREENSHOTS}card-components.png`);

    // A required field left empty: the client refuses, nothing is sent.
    await card.locator('button[name="go"]').click();
    await expect.poll(() => card.locator('.c-field-error').first().innerText()).toContain('必填');
    expect(received).toHaveLength(0);

    await card.locator('input[name="note"]').fill('你好');
    await card.locator('select[name="many"]').selectOption(['r', 'b']);
    await card.locator('input[name="day"]').fill('2026-12-01');
    await card.locator('button[name="go"]').click();
    const delivery = await waitFor('the callback', () => received[0]);
    const event = delivery.event as { operator: { open_id: string }; action: Record<string, unknown>; context: { open_message_id: string } };
    expect(event.operator.open_id).toBe(owner);
    expect(event.context.open_message_id).toBe(messageId);
    expect(event.action).toMatchObject({ tag: 'button', name: 'go', value: { a: 'test.submit' }, form_value: { note: '你好', one: 'b', many: ['r', 'b'], day: '2026-12-01 +0800' } });
    await expect.poll(() => page.locator('.toast.success').innerText()).toContain('已收到');
  });
});
