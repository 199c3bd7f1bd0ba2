/**
 * The console in a real browser: Debian's chromium driven by playwright-core. A moderator signs
 * in, sees a pending request with its answers, approves it, and finds the row in the audit log.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { startConsole, type ConsoleEndpoint } from '../../src/console/server';
import { Membership, MODERATOR, joinRequest } from '../helpers/membership';
import { consoleDb, PASSWORD, withPassword } from '../unit/console/helpers';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('console in a browser (chromium)', function () {
  this.timeout(120_000);
  let browser: Browser;
  let endpoint: ConsoleEndpoint;
  let m: Membership;

  before(async () => {
    if (!fs.existsSync(CHROMIUM))
      throw new Error(
        `chromium is not installed at ${CHROMIUM}: install it with "apt-get install -y chromium" (.ci/run does), or set CHROMIUM_PATH`,
      );
    m = new Membership(undefined, { db: consoleDb() });
    withPassword(m.ctx.db, MODERATOR);
    await m.submit(joinRequest());
    endpoint = await startConsole(m.ctx, { host: '127.0.0.1', port: 0 });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  });

  after(async () => {
    await browser?.close();
    await endpoint?.close();
  });

  it('signs in, shows the request with its answers, approves it, and shows the audit row', async () => {
    const base = `http://127.0.0.1:${endpoint.port}`;
    const page = await browser.newPage();
    await page.goto(`${base}/requests`);
    assert.equal(new URL(page.url()).pathname, '/login', 'no page without a sign-in');
    await page.fill('input[name="address"]', MODERATOR);
    await page.fill('input[name="password"]', PASSWORD);
    await Promise.all([page.waitForURL(`${base}/requests`), page.click('button[type="submit"]')]);
    const card = page.locator('#request-1');
    assert.match(await card.innerText(), /We distribute the "Seven" distribution of Istio/);
    assert.match(await card.innerText(), /Have an actively monitored security email alias/);
    await Promise.all([page.waitForURL(`${base}/requests`), card.locator('button.approve').click()]);
    assert.match(await page.locator('.flash').innerText(), /approved/);
    assert.equal(m.request(1).state, 'confirming');
    await page.goto(`${base}/audit?action=request.approve`);
    const row = page.locator('table.audit tbody tr').first();
    const text = await row.innerText();
    assert.match(text, /request\.approve/);
    assert.ok(text.includes(MODERATOR), text);
    assert.match(text, /request:1/);
  });
});
