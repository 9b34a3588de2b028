// The console in a real browser: a project owner files his report through the page, a refused
// figure comes back on the card with its reason, and a chat message gets the bot's answer.
// Everything the page does reaches the real service signed and encrypted, as Feishu delivers it.
import { fileURLToPath } from 'node:url';
import { mkdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTryEnv, type TryEnv } from '../../src/try/try-env.js';
import { REPORT_FIELDS as F } from '../../src/cards/card-actions.js';
import { createTestDatabase, uniqueQueuePrefix, type TestDatabase } from '../helpers/test-db.js';
import { testRedisUrl } from '../helpers/services.js';
import { launchBrowser, screenshotWhole, waitFor, type Browser } from './browser.js';

const SCREENSHOTS = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));
// The tests' own clock: a Saturday morning in the November cycle, moving on in real time.
const START = Date.parse('2026-11-21T10:00:00+08:00');

const ONE_PIXEL_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

type Owner = { name: string; openId: string; projectId: number; code: string };

describe('console in a browser', { timeout: 60_000 }, () => {
  let database: TestDatabase;
  let env: TryEnv;
  let browser: Browser | undefined;
  let owners: Owner[];

  beforeAll(async () => {
    database = await createTestDatabase({ migrate: false });
    const t0 = Date.now();
    env = await startTryEnv({ databaseUrl: database.url, redisUrl: testRedisUrl(), queuePrefix: uniqueQueuePrefix(), logLevel: 'silent', now: () => new Date(START + (Date.now() - t0)) });
    const rows = await env.service.ctx.db
      .selectFrom('projects as p')
      .innerJoin('people as o', 'o.id', 'p.owner_id')
      .select(['p.id', 'p.code', 'o.name', 'o.open_id'])
      .where('o.open_id', 'is not', null)
      .orderBy('p.code')
      .execute();
    owners = rows.map((r) => ({ name: r.name, openId: r.open_id!, projectId: r.id, code: r.code }));
    browser = await launchBrowser();
    await mkdir(SCREENSHOTS, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await env?.stop();
    await database?.drop();
  });

  /** Opens the console as this owner, on his chat with the bot, once his report card has arrived (still a form, unless said otherwise). */
  async function openAs(owner: Owner, opts: { form?: boolean } = {}): Promise<string> {
    const card = await waitFor(`${owner.name}'s report card`, () =>
      env.fake.messages({ receive_id: owner.openId, msg_type: 'interactive' }).find((m) => m.raw_content.includes(owner.code)),
    );
    const page = browser!.page;
    await page.goto(`${env.consoleUrl}#u=${owner.openId}`);
    await page.reload();
    await page.locator('body[data-ready]').waitFor();
    await page.locator(`.msg[data-message-id="${card.message_id}"]${opts.form === false ? '' : ' form'}`).waitFor();
    return card.message_id;
  }

  const reportOf = (owner: Owner) =>
    env.service.ctx.db.selectFrom('reports').selectAll().where('project_id', '=', owner.projectId).where('cycle_id', '=', env.cycle.id).executeTakeFirst();

  it('files a report from the card form, and the database holds it', async () => {
    const owner = owners[0];
    const messageId = await openAs(owner);
    const page = browser!.page;
    const card = page.locator(`.msg[data-message-id="${messageId}"]`);
    await card.locator(`input[name="${F.periodInvestment}"]`).fill('1,200万');
    await card.locator(`textarea[name="${F.progress}"]`).fill('主体结构封顶，进入二次结构施工');
    await card.locator(`select[name="${F.started}"]`).selectOption('yes');
    await screenshotWhole(page, card.locator('.card'), `${SCREENSHOTS}report-form.png`);
    await card.locator('button[name="report_submit"]').click();

    const report = await waitFor('the report in the database', () => reportOf(owner));
    expect(report.period_investment).toBe('1200.0000');
    expect(report.progress).toBe('主体结构封顶，进入二次结构施工');
    expect(report.started).toBe(true);
    expect(report.via).toBe('card');
    // The bot's answer replaces the form in the page: the summary card, and a toast.
    await expect.poll(() => card.locator('.card').innerText(), { timeout: 15_000 }).toMatch(/已提交/);
    await expect.poll(() => card.locator('form').count()).toBe(0);
    await screenshotWhole(page, card.locator('.card'), `${SCREENSHOTS}summary-card.png`);
  });

  it('shows a refused figure with its reason on the card and stores nothing', async () => {
    const owner = owners[1];
    const messageId = await openAs(owner);
    const page = browser!.page;
    const card = page.locator(`.msg[data-message-id="${messageId}"]`);
    await card.locator(`input[name="${F.periodInvestment}"]`).fill('五百');
    await card.locator('button[name="report_submit"]').click();
    // The refused card comes back with what was typed and the reason under the field.
    await expect.poll(() => card.locator('.card').innerText(), { timeout: 15_000 }).toMatch(/⚠/);
    expect(await card.locator(`input[name="${F.periodInvestment}"]`).inputValue()).toBe('五百');
    await expect.poll(() => page.locator('.toast.error').count()).toBeGreaterThan(0);
    expect(await reportOf(owner)).toBeUndefined();
  });

  it('answers a chat message in the conversation', async () => {
    const owner = owners[2];
    await openAs(owner);
    const page = browser!.page;
    const before = await page.locator('.msg[data-from="bot"]').count();
    await page.locator('#composer-text').fill('我的项目');
    await page.locator('#composer-text').press('Enter');
    await page.locator('.msg[data-from="user"]', { hasText: '我的项目' }).waitFor();
    await expect.poll(() => page.locator('.msg[data-from="bot"]').count(), { timeout: 15_000 }).toBeGreaterThan(before);
    await expect.poll(() => page.locator('.msg[data-from="bot"]').last().innerText()).toContain(owner.code);
    await page.screenshot({ path: `${SCREENSHOTS}console.png` });
  });

  it('sends a site photo, which reaches the bot as an image message and is answered', async () => {
    const owner = owners[0];
    await openAs(owner, { form: false });
    const page = browser!.page;
    const before = await page.locator('.msg[data-from="bot"]').count();
    await page.locator('#composer-image').setInputFiles({ name: 'site.png', mimeType: 'image/png', buffer: Buffer.from(ONE_PIXEL_PNG, 'base64') });
    await page.locator('.msg[data-from="user"][data-msg-type="image"] img').waitFor();
    await expect.poll(() => page.locator('.msg[data-from="bot"]').count(), { timeout: 15_000 }).toBeGreaterThan(before);
    // The first owner has filed this cycle, so the photo joins his report.
    const photos = await waitFor('the photo in the database', async () => {
      const rows = await env.service.ctx.db.selectFrom('report_photos').selectAll().execute();
      return rows.length > 0 ? rows : undefined;
    });
    expect(photos[0]?.image_key).toMatch(/^img_v3_console_/);
  });

  it('raises a problem from the form, and its card reaches whoever must act on it', async () => {
    const owner = owners[3];
    const messageId = await openAs(owner);
    const page = browser!.page;
    const card = page.locator(`.msg[data-message-id="${messageId}"]`);
    await card.locator(`input[name="${F.periodInvestment}"]`).fill('800');
    await card.locator(`select[name="${F.problemCategory}"]`).selectOption({ index: 2 });
    await card.locator(`textarea[name="${F.problemDescription}"]`).fill('二期用地指标尚未下达，影响厂房开工');
    await card.locator(`select[name="${F.problemNeedsCity}"]`).selectOption('yes');
    await card.locator('button[name="report_submit"]').click();

    const problem = await waitFor('the problem in the database', () =>
      env.service.ctx.db.selectFrom('problems').selectAll().where('project_id', '=', owner.projectId).executeTakeFirst(),
    );
    const notice = await waitFor('a problem card for someone else', () =>
      env.fake.messages({ msg_type: 'interactive' }).find((m) => m.open_id !== owner.openId && m.raw_content.includes(problem.number)),
    );
    await page.locator('#person').selectOption(notice.open_id!);
    const problemCard = page.locator(`.msg[data-message-id="${notice.message_id}"] .card`);
    await problemCard.waitFor();
    expect(await problemCard.innerText()).toContain(problem.number);
    await screenshotWhole(page, problemCard, `${SCREENSHOTS}problem-card.png`);
  });

  it('shows every message, the request log and the rate counters in the admin view', async () => {
    const page = browser!.page;
    await page.locator('#nav-admin').click();
    await page.locator('#admin-messages tbody tr').first().waitFor();
    await page.locator('[data-tab="requests"]').click();
    await expect.poll(() => page.locator('#admin-requests').innerText()).toContain('/open-apis/im/v1/messages');
    await page.locator('[data-tab="limits"]').click();
    await expect.poll(() => page.locator('#admin-limits').innerText()).toContain('每接收方每秒');
  });
});
