// ccxt, the most widely used exchange library, trades on `gauntlet venue bybit` with only its
// base URLs changed: proof that the local venue speaks Bybit V5 as Bybit's clients expect it
// (signing, envelopes, field names, error codes). ccxt parses every answer with its own code,
// so a shape the venue gets wrong fails here, not in a test of ours against ourselves.
//
//   node bybit_ccxt.mjs <path to the gauntlet binary> <config file>
//
// It starts the venue on a free port with a fast replay of the simulated market, then walks
// through markets, klines, tickers, balance, leverage, create / amend / cancel (over REST and
// over the /v5/trade WebSocket), open orders,
// a market fill, positions, executions (ccxt's "my trades"), trading-stop, a reduce-only exit,
// the wallet's figures recomputed from the executions, a spot buy, an error mapping, the
// private WebSocket through ccxt.pro (watchOrders), a second account (--account) and faults
// switched at run time through the venue's control route (a 10006 and a 503 that ccxt maps to
// its own exceptions). Exits non-zero on the first failure.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import ccxt from 'ccxt';

const [gauntlet, configFile] = process.argv.slice(2);
if (!gauntlet || !configFile) {
  console.error('usage: node bybit_ccxt.mjs <gauntlet binary> <config file>');
  process.exit(2);
}

const apiKey = 'ccxt-test-key';
const secret = 'ccxt-test-secret-0123456789';
const secondKey = 'ccxt-second-key';
const secondSecret = 'ccxt-second-secret-0123456789';
const controlToken = 'ccxt-control-token';
const venue = spawn(gauntlet, ['venue', 'bybit', '--config', configFile, '--port', '0', '--symbols', 'BTCUSDT,ETHUSDT',
  '--speed', '600', '--seed', '7', '--key', apiKey, '--secret', secret, '--usdt', '100000',
  '--account', `${secondKey}:${secondSecret}:5000`, '--control-token', controlToken],
{ stdio: ['ignore', 'pipe', 'inherit'] });
const stopVenue = () => { if (venue.exitCode === null) venue.kill('SIGTERM'); };
process.on('exit', stopVenue);

// The URL line comes first, then the accounts, then the fault control route.
const baseUrl = await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error('the venue printed no URL within 30 s')), 30000);
  const lines = createInterface({ input: venue.stdout });
  let url;
  lines.on('line', (line) => {
    console.log(`venue: ${line}`);
    const match = line.match(/http:\/\/127\.0\.0\.1:\d+/);
    if (match && !url) url = match[0];
    if (line.startsWith('faults:') && line.includes(`X-Venue-Token: ${controlToken}`)) {
      clearTimeout(timer);
      resolve(url);
    }
  });
  venue.on('exit', (code) => reject(new Error(`the venue exited with ${code}`)));
});
const wsUrl = baseUrl.replace('http://', 'ws://');

const config = {
  apiKey,
  secret,
  enableRateLimit: false,
  urls: { api: { spot: baseUrl, futures: baseUrl, v2: baseUrl, public: baseUrl, private: baseUrl,
    ws: { public: { spot: `${wsUrl}/v5/public/spot`, linear: `${wsUrl}/v5/public/linear` },
      private: { spot: { unified: `${wsUrl}/v5/private` }, contract: `${wsUrl}/v5/private`,
        trade: `${wsUrl}/v5/trade` } } } },
  options: { fetchMarkets: { types: ['spot', 'linear'] }, defaultType: 'swap' },
  has: { fetchCurrencies: false },
};
const exchange = new ccxt.bybit(config);
const pro = new ccxt.pro.bybit(config);
await pro.loadHttpProxyAgent();  // ccxt's requirement for plain ws:// URLs

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(what, probe, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
const step = (name) => console.log(`ccxt: ${name}`);
const PERP = 'BTC/USDT:USDT';
const SPOT = 'BTC/USDT';

try {
  step('loadMarkets');
  const markets = await exchange.loadMarkets();
  assert.ok(markets[PERP], 'the linear perpetual is listed');
  assert.ok(markets[SPOT], 'the spot pair is listed');
  assert.equal(markets[PERP].linear, true);
  assert.ok(markets[PERP].precision.amount > 0, 'qty step from lotSizeFilter');

  step('fetchOHLCV');
  const candles = await until('klines', async () => {
    const c = await exchange.fetchOHLCV(PERP, '1m', undefined, 5);
    return c.length === 5 ? c : undefined;
  });
  for (let i = 1; i < candles.length; ++i) assert.equal(candles[i][0] - candles[i - 1][0], 60000);
  for (const [, open, high, low, close] of candles) {
    assert.ok(low <= Math.min(open, close) && high >= Math.max(open, close), 'a consistent bar');
  }

  step('fetchTicker');
  const ticker = await exchange.fetchTicker(PERP);
  assert.ok(ticker.last > 0 && ticker.bid <= ticker.ask);

  step('fetchBalance');
  const start = await exchange.fetchBalance();
  assert.equal(start.USDT.total, 100000);

  step('setLeverage');
  await exchange.setLeverage(5, PERP);

  step('createOrder limit, fetchOpenOrders, editOrder, cancelOrder');
  const far = exchange.priceToPrecision(PERP, ticker.last * 0.5);
  const limit = await exchange.createOrder(PERP, 'limit', 'buy', 0.01, far, { clientOrderId: 'ccxt-limit-1' });
  assert.ok(limit.id);
  let open = await exchange.fetchOpenOrders(PERP);
  assert.equal(open.length, 1);
  assert.equal(open[0].clientOrderId, 'ccxt-limit-1');
  assert.equal(open[0].price, Number(far));
  const lower = exchange.priceToPrecision(PERP, ticker.last * 0.4);
  await exchange.editOrder(limit.id, PERP, 'limit', 'buy', 0.02, lower);
  open = await exchange.fetchOpenOrders(PERP);
  assert.equal(open[0].amount, 0.02);
  assert.equal(open[0].price, Number(lower));
  await exchange.cancelOrder(limit.id, PERP);
  assert.equal((await exchange.fetchOpenOrders(PERP)).length, 0);
  const cancelled = await exchange.fetchCanceledAndClosedOrders(PERP);
  assert.ok(cancelled.some((o) => o.id === limit.id && o.status === 'canceled'));

  step('order entry over /v5/trade: createOrderWs, editOrderWs, cancelOrderWs');
  const wsLimit = await pro.createOrderWs(PERP, 'limit', 'buy', 0.01, far, { clientOrderId: 'ccxt-ws-1' });
  assert.ok(wsLimit.id, 'the venue answered with the order id');
  open = await exchange.fetchOpenOrders(PERP);
  assert.equal(open.length, 1);
  assert.equal(open[0].id, wsLimit.id);
  assert.equal(open[0].clientOrderId, 'ccxt-ws-1');
  await pro.editOrderWs(wsLimit.id, PERP, 'limit', 'buy', 0.03, lower);
  open = await exchange.fetchOpenOrders(PERP);
  assert.equal(open[0].amount, 0.03);
  assert.equal(open[0].price, Number(lower));
  await pro.cancelOrderWs(wsLimit.id, PERP);
  assert.equal((await exchange.fetchOpenOrders(PERP)).length, 0);
  await assert.rejects(pro.cancelOrderWs(wsLimit.id, PERP), ccxt.OrderNotFound,
    'a second cancel is Bybit\'s 110001, mapped by ccxt');

  step('watchOrders over the private WebSocket');
  const watched = pro.watchOrders(PERP);
  // ccxt authenticates and subscribes in the background: let it finish before the order.
  await until('the private subscription', async () =>
    Object.values(pro.clients).some((c) => c.subscriptions && Object.keys(c.subscriptions).some((k) => k.startsWith('order'))));
  await sleep(500);

  step('createOrder market, fetchPositions');
  const entry = await exchange.createOrder(PERP, 'market', 'buy', 0.01, undefined, { clientOrderId: 'ccxt-entry-1' });
  const position = await until('the position', async () => {
    const positions = await exchange.fetchPositions([PERP]);
    return positions.find((p) => p.contracts === 0.01);
  });
  assert.equal(position.side, 'long');
  assert.equal(position.leverage, 5);
  const pushed = await Promise.race([watched, sleep(20000).then(() => {
    throw new Error('no order on the private stream within 20 s');
  })]);
  assert.ok(pushed.some((o) => o.id === entry.id), 'the order arrived on the private stream');

  step('fetchMyTrades');
  const trades = await exchange.fetchMyTrades(PERP);
  const entryTrade = trades.find((t) => t.order === entry.id);
  assert.ok(entryTrade, 'the entry execution is listed');
  assert.equal(entryTrade.amount, 0.01);
  assert.ok(entryTrade.fee.cost > 0 && entryTrade.takerOrMaker === 'taker');

  step('trading-stop (implicit API)');
  const stop = exchange.priceToPrecision(PERP, entryTrade.price * 0.5);
  const stopAnswer = await exchange.privatePostV5PositionTradingStop({
    category: 'linear', symbol: 'BTCUSDT', tpslMode: 'Full', positionIdx: 0, stopLoss: stop, slTriggerBy: 'MarkPrice',
  });
  assert.equal(Number(stopAnswer.retCode), 0);
  const protectedPosition = (await exchange.fetchPositions([PERP]))[0];
  assert.equal(protectedPosition.stopLossPrice, Number(stop));

  step('reduce-only exit');
  const exit = await exchange.createOrder(PERP, 'market', 'sell', 0.01, undefined, { reduceOnly: true });
  await until('the flat position', async () => {
    const positions = await exchange.fetchPositions([PERP]);
    return positions.every((p) => !p.contracts);
  });

  step('the wallet equals the executions');
  const allTrades = await exchange.fetchMyTrades(PERP);
  const exitTrade = await until('the exit execution', async () =>
    (await exchange.fetchMyTrades(PERP)).find((t) => t.order === exit.id));
  const fees = allTrades.concat([exitTrade]).filter((t, i, a) => a.findIndex((u) => u.id === t.id) === i)
    .reduce((sum, t) => sum + t.fee.cost, 0);
  const pnl = (exitTrade.price - entryTrade.price) * 0.01;
  const end = await exchange.fetchBalance();
  // Funding may land between the fills at an 8-hour boundary of the replayed clock: allow it
  // only as a listed Funding execution, which this replay window does not cross.
  assert.ok(Math.abs(end.USDT.total - (100000 + pnl - fees)) < 1e-6,
    `wallet ${end.USDT.total} = 100000 + pnl ${pnl} - fees ${fees}`);

  step('spot market buy with cost');
  await exchange.createMarketBuyOrderWithCost(SPOT, 100);
  const spot = await until('the BTC holding', async () => {
    const balance = await exchange.fetchBalance();
    return balance.BTC && balance.BTC.total > 0 ? balance : undefined;
  });
  assert.ok(spot.BTC.total * ticker.last < 101, 'about 100 USDT of BTC');

  step('errors map to ccxt exceptions');
  await assert.rejects(exchange.createOrder(PERP, 'market', 'buy', 1000, undefined), ccxt.InsufficientFunds);
  await assert.rejects(exchange.cancelOrder('no-such-order', PERP), ccxt.OrderNotFound);
  const wrongKey = new ccxt.bybit({ ...config, secret: 'not-the-secret' });
  wrongKey.options.enableUnifiedMargin = false;
  wrongKey.options.enableUnifiedAccount = true;
  await assert.rejects(wrongKey.fetchBalance(), ccxt.AuthenticationError);

  step('a second account (--account) is an account of its own');
  const second = new ccxt.bybit({ ...config, apiKey: secondKey, secret: secondSecret });
  second.options.enableUnifiedMargin = false;
  second.options.enableUnifiedAccount = true;
  const secondBalance = await second.fetchBalance();
  assert.equal(secondBalance.USDT.total, 5000);
  assert.ok(!secondBalance.BTC || !secondBalance.BTC.total, 'the first account\'s BTC is not here');
  assert.equal((await second.fetchPositions([PERP])).filter((p) => p.contracts).length, 0);

  step('faults switched at run time (POST /venue/faults) reach ccxt as Bybit\'s errors');
  const faults = async (body) => {
    const answer = await fetch(`${baseUrl}/venue/faults`, {
      method: 'POST', headers: { 'X-Venue-Token': controlToken, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await answer.text();
    assert.equal(answer.status, 200, text);
    return JSON.parse(text);
  };
  const refused = await fetch(`${baseUrl}/venue/faults`, { method: 'POST', body: '{"stall_ms":60000}' });
  assert.equal(refused.status, 401, 'no token, no faults');
  assert.equal((await faults({ rate_limit: { count: 1, reset_ms: 100 } })).rate_limit.count, 1);
  await assert.rejects(exchange.fetchBalance(), ccxt.RateLimitExceeded);
  await faults({ http_errors: { count: 1, status: 503 } });
  await assert.rejects(exchange.fetchBalance(), ccxt.ExchangeNotAvailable);
  assert.ok((await exchange.fetchBalance()).USDT.total > 0, 'the venue serves again');

  console.log('ccxt: all calls passed');
  await pro.close();
  stopVenue();
  process.exit(0);
} catch (error) {
  console.error(error);
  stopVenue();
  process.exit(1);
}
