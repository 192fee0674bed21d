// Browser test of the dashboard against any server implementing docs/api.md (the mock server in
// dev/, or the engine):
//
//   node tests/dashboard.test.mjs --url http://127.0.0.1:PORT --token TOKEN --screenshot OUT.png
//                                 [--chromium /usr/bin/chromium] [--kill-asset spot]
//
// Drives the system Chromium through playwright-core (no browser download). Each check prints
// "ok - <name>"; the first failure prints "FAIL - <name>: <why>" and exits 1. Note: the kill check
// really kills --kill-asset on the server it runs against.

import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const { values: args } = parseArgs({
  options: {
    url: { type: 'string' },
    token: { type: 'string' },
    screenshot: { type: 'string' },
    chromium: { type: 'string', default: process.env.CHROMIUM ?? '/usr/bin/chromium' },
    'kill-asset': { type: 'string', default: 'spot' },
  },
});
if (!args.url || !args.token || !args.screenshot) {
  console.error('usage: node tests/dashboard.test.mjs --url URL --token TOKEN --screenshot OUT.png ' +
                '[--chromium PATH] [--kill-asset ASSET]');
  process.exit(2);
}
const base = args.url.replace(/\/+$/, '');
const kill_asset = args['kill-asset'];
const kTimeoutMs = 15000;

class CheckFailed extends Error {}

function expect(condition, message) {
  if (!condition) throw new CheckFailed(message);
}

// Exact order of decimal strings ("-12.50" < "3" < "10.25"), independent of the page's code.
function decimal_key(text) {
  const match = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(String(text).trim());
  if (!match || (match[2] === '' && !match[3])) throw new CheckFailed(`"${text}" is not a decimal`);
  const scaled = BigInt((match[2] || '0') + (match[3] ?? '').padEnd(30, '0').slice(0, 30));
  return match[1] === '-' ? -scaled : scaled;
}

function is_sorted(values, direction) {
  for (let i = 1; i < values.length; i += 1) {
    const a = decimal_key(values[i - 1]);
    const b = decimal_key(values[i]);
    if (direction === 'asc' ? a > b : a < b) return `${values[i - 1]} before ${values[i]}`;
  }
  return '';
}

async function wait_until(predicate, timeout_ms, what) {
  const deadline = Date.now() + timeout_ms;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new CheckFailed(`timed out after ${timeout_ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// Clicks `locator` until `done()` holds: a running engine keeps updating the page, and a row
// added above the target between Playwright's stability check and its click moves the target
// away from the click (up to 3 clicks, each followed by a short wait for its effect).
async function click_until(locator, done, what) {
  for (let attempt = 0; attempt < 3; attempt += 1) {
    await locator.click();
    const deadline = Date.now() + 1000;
    while (Date.now() < deadline) {
      if (await done()) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new CheckFailed(what);
}

const checks = [];
function check(name, body) {
  checks.push({ name, body });
}

// ---------------------------------------------------------------------------------------------

const state = {};  // shared between checks: browser, context, page, ...

check('login URL leads to the dashboard', async () => {
  const response = await state.page.goto(`${base}/login?token=${encodeURIComponent(args.token)}`);
  expect(response && response.ok(), `the login URL answered ${response?.status()}`);
  expect(new URL(state.page.url()).pathname === '/', `landed on ${state.page.url()}, not on /`);
  await state.page.getByTestId('dashboard').waitFor({ state: 'visible', timeout: kTimeoutMs });
  expect(await state.page.getByTestId('auth-required').isHidden(), 'the "not logged in" page is shown');
  const cookies = await state.context.cookies(base);
  state.csrf = cookies.find((c) => c.name === 'gauntlet_csrf')?.value;
  expect(state.csrf, 'no gauntlet_csrf cookie after login');
  expect(cookies.some((c) => c.name === 'gauntlet_session' && c.httpOnly), 'no HttpOnly gauntlet_session cookie');
});

check('banner shows the feed, market time and run state', async () => {
  const status = await state.page.evaluate(async () => (await fetch('/status')).json());
  const banner = state.page.getByTestId('banner');
  await wait_until(async () => (await state.page.getByTestId('market-time').textContent()).includes('UTC'),
                   kTimeoutMs, 'the market time');
  const run_state = (await state.page.getByTestId('run-state').textContent()).trim();
  expect(['RUNNING', 'FINISHED', 'STOPPING'].includes(run_state), `run state reads "${run_state}"`);
  if (status.simulated) {
    const feed = state.page.getByTestId('feed-banner');
    expect(await feed.isVisible(), 'no feed banner although status.simulated is true');
    const text = await feed.textContent();
    expect(!status.feed_note || text.includes(status.feed_note), `feed banner "${text}" lacks the feed note`);
  }
  expect(await banner.isVisible(), 'the banner is not visible');
});

check('both charts draw with data', async () => {
  const points = await wait_until(async () => {
    const counters = await state.page.evaluate(() => window.__gauntlet?.chartPoints);
    return counters?.paper > 0 ? counters : null;
  }, kTimeoutMs, 'points on the paper chart (window.__gauntlet.chartPoints.paper)');
  for (const mode of ['paper', 'live']) {
    const chart = state.page.getByTestId(`chart-${mode}`);
    const largest = await chart.locator('canvas').evaluateAll((canvases) =>
        Math.max(0, ...canvases.map((c) => Math.min(c.clientWidth, c.clientHeight))));
    expect(largest > 100, `the ${mode} chart has no drawing canvas larger than 100 px`);
    const legend = await state.page.getByTestId(`chart-legend-${mode}`).textContent();
    for (const name of ['Spot', 'Perp', 'Forex', 'Options', 'Total']) {
      expect(legend.includes(name), `the ${mode} legend lacks ${name}`);
    }
  }
  const live = await state.page.evaluate(async () => (await fetch('/equity?mode=live')).json());
  const live_points = Object.values(live.series ?? {}).reduce((n, s) => n + s.length, 0);
  if (live_points > 0) {
    await wait_until(async () => (await state.page.evaluate(() => window.__gauntlet.chartPoints.live)) > 0,
                     kTimeoutMs, 'points on the live chart');
  } else {
    expect(await state.page.getByTestId('chart-live-empty').isVisible(),
           'the live chart is empty but shows no "no live asset" note');
  }
  console.log(`     chart points: paper ${points.paper}, live ${points.live} (API live points ${live_points})`);
});

check('tables sort numerically by a clicked header', async () => {
  const page = state.page;
  const tables = await page.$$eval('[data-testid^="table-history-"]', (nodes) => nodes.map((n) => ({
    testid: n.dataset.testid, rows: n.querySelectorAll('tbody tr').length })));
  const table = tables.sort((a, b) => b.rows - a.rows)[0];
  expect(table && table.rows >= 2, `no History table with 2 rows or more (${JSON.stringify(tables)})`);
  state.sorted_table = table.testid;
  const root = page.getByTestId(table.testid);
  const column_values = (col) => root.locator(`tbody td[data-col="${col}"]`)
      .evaluateAll((cells) => cells.map((c) => c.dataset.value));
  for (const col of ['realized_pnl', 'sequence', 'quantity']) {
    const before = await column_values(col);
    const header = root.locator(`thead th[data-col="${col}"]`);
    for (const direction of ['asc', 'desc']) {
      await click_until(header, async () => await header.getAttribute('data-sort') === direction,
                        `${table.testid} ${col}: header shows "${await header.getAttribute('data-sort')}" not ${direction}`);
      const after = await column_values(col);
      const wrong = is_sorted(after, direction);
      expect(!wrong, `${table.testid} ${col} ${direction}: ${wrong}`);
      const indicator = await header.textContent();
      expect(indicator.includes(direction === 'asc' ? '▲' : '▼'), `${col}: no ${direction} indicator`);
      const was_unsorted = is_sorted(before, 'asc') !== '';
      if (direction === 'asc' && was_unsorted) {
        expect(before.join() !== after.join(), `${col}: rows did not move although unsorted before`);
      }
    }
  }
  console.log(`     sorted ${table.testid} (${table.rows} rows) by realized_pnl, sequence, quantity`);
});

check('tables collapse and expand', async () => {
  for (const kind of ['history', 'open']) {
    const name = `${kind}-${kill_asset}`;
    const body = state.page.getByTestId(`table-${name}`).locator('tbody');
    const toggle = state.page.getByTestId(`toggle-${name}`);
    await click_until(toggle, async () => await toggle.getAttribute('aria-expanded') === 'false',
                      `toggle-${name}: aria-expanded not false after clicking it`);
    expect(await body.isHidden(), `table-${name}: the body is still visible after collapsing`);
    await click_until(toggle, async () => await toggle.getAttribute('aria-expanded') === 'true',
                      `toggle-${name}: aria-expanded not true after clicking it again`);
    if (await body.locator('tr').count() > 0) {
      expect(await body.isVisible(), `table-${name}: the body stays hidden after expanding`);
    }
  }
});

check('a live update arrives over the WebSocket', async () => {
  const page = state.page;
  const prices = () => page.getByTestId('table-quotes').locator('tbody tr')
      .evaluateAll((rows) => Object.fromEntries(rows.map((r) =>
          [r.dataset.key, r.querySelector('td[data-col="price"]').textContent])));
  await wait_until(async () => Object.keys(await prices()).length > 0, kTimeoutMs, 'rows in the quotes table');
  const before = await prices();
  const messages_before = await page.evaluate(() => window.__gauntlet.wsMessages);
  const changed = await wait_until(async () => {
    const messages = await page.evaluate(() => window.__gauntlet.wsMessages);
    if (messages <= messages_before) return null;
    const now = await prices();
    const key = Object.keys(now).find((k) => k in before && now[k] !== before[k]);
    return key ? `${key} ${before[key]} -> ${now[key]} (${messages - messages_before} messages)` : null;
  }, kTimeoutMs, 'a WebSocket message and a changed quote cell');
  console.log(`     ${changed}`);
});

check('kill asks for confirmation and then posts with the CSRF header', async () => {
  const page = state.page;
  const kills = [];
  const on_request = (request) => {
    if (request.method() === 'POST' && new URL(request.url()).pathname.startsWith('/kill')) kills.push(request);
  };
  page.on('request', on_request);
  try {
    let dialog_text = null;
    page.once('dialog', (dialog) => {
      dialog_text = `${dialog.type()}: ${dialog.message()}`;
      dialog.dismiss();
    });
    await page.getByTestId(`kill-${kill_asset}`).click();
    await wait_until(() => dialog_text, 5000, 'a confirmation dialog after clicking kill');
    await page.waitForTimeout(800);
    expect(kills.length === 0, `dismissing the confirmation still sent ${kills.map((r) => r.url())}`);

    page.once('dialog', (dialog) => dialog.accept());
    const answer = page.waitForResponse((r) => r.request().method() === 'POST' &&
        new URL(r.url()).pathname === `/kill/${kill_asset}`, { timeout: kTimeoutMs });
    await page.getByTestId(`kill-${kill_asset}`).click();
    const response = await answer;
    expect(response.status() === 200, `POST /kill/${kill_asset} answered ${response.status()}: ${await response.text()}`);
    const body = await response.json();
    expect(body.ok === true, `POST /kill/${kill_asset} answered ${JSON.stringify(body)}`);
    const header = (await response.request().allHeaders())['x-csrf-token'];
    expect(header && header === state.csrf, `X-CSRF-Token was "${header}", the cookie is "${state.csrf}"`);
    expect(kills.length === 1, `expected one kill request, saw ${kills.length}`);
    await wait_until(async () => (await page.getByTestId(`asset-message-${kill_asset}`).textContent()).includes('ok'),
                     kTimeoutMs, 'the panel to show the kill answer');
    console.log(`     dialog "${dialog_text}"`);
  } finally {
    page.off('request', on_request);
  }
});

check('actions without the token are refused', async () => {
  const fresh = await state.browser.newContext();
  try {
    const page = await fresh.newPage();
    await page.goto(`${base}/`);
    const status = await page.evaluate(async (asset) =>
        (await fetch(`/kill/${asset}`, { method: 'POST', credentials: 'same-origin' })).status, kill_asset);
    expect(status === 401, `POST /kill/${kill_asset} without cookies answered ${status}, not 401`);
    const session = await page.evaluate(async () => (await fetch('/session')).json());
    if (!session.public_read) {
      const notice = page.getByTestId('auth-required');
      await notice.waitFor({ state: 'visible', timeout: kTimeoutMs });
      const text = await notice.textContent();
      expect(text.includes('not logged in') && text.includes('login URL'), `the login notice reads "${text}"`);
    }
  } finally {
    await fresh.close();
  }
  const status = await state.page.evaluate(async (asset) =>
      (await fetch(`/kill/${asset}`, { method: 'POST', credentials: 'same-origin' })).status, kill_asset);
  expect(status === 403, `POST /kill/${kill_asset} with the cookie but no X-CSRF-Token answered ${status}, not 403`);
});

check('the page raised no uncaught error', async () => {
  expect(state.page_errors.length === 0, state.page_errors.join('\n'));
});

// ---------------------------------------------------------------------------------------------

async function main() {
  state.browser = await chromium.launch({
    executablePath: args.chromium,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  state.context = await state.browser.newContext({ viewport: { width: 1400, height: 900 } });
  state.page = await state.context.newPage();
  state.page_errors = [];
  state.page.on('pageerror', (error) => state.page_errors.push(String(error.stack ?? error)));
  state.page.on('console', (message) => {
    if (message.type() === 'error' && process.env.VERBOSE) console.log(`     console: ${message.text()}`);
  });

  let failed = null;
  for (const { name, body } of checks) {
    try {
      await body();
      console.log(`ok - ${name}`);
    } catch (error) {
      failed = name;
      console.error(`FAIL - ${name}: ${error instanceof CheckFailed ? error.message : error.stack}`);
      break;
    }
  }
  try {
    await mkdir(path.dirname(path.resolve(args.screenshot)), { recursive: true });
    await state.page.evaluate(() => window.scrollTo(0, 0));
    await state.page.screenshot({ path: args.screenshot, fullPage: true });
    console.log(`screenshot: ${args.screenshot}`);
  } catch (error) {
    console.error(`could not save the screenshot: ${error.message}`);
    failed ??= 'screenshot';
  }
  await state.browser.close();
  if (failed) {
    console.error(`dashboard test failed: ${failed}`);
    process.exit(1);
  }
  console.log(`dashboard test passed (${checks.length} checks)`);
}

main().catch((error) => {
  console.error(`FAIL - setup: ${error.stack ?? error}`);
  process.exit(1);
});
