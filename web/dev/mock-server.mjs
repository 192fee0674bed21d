// A development stand-in for the engine's control-plane API (docs/api.md) with synthetic data:
// four assets, 40 symbols quoting every 250 ms, a few thousand trades, equity series, strategies
// in several states, cookie login with CSRF checks, and the /ws push. It lets the dashboard be
// developed and tested without the engine. Everything here is made up; nothing here is the
// engine's logic.
//
//   node dev/mock-server.mjs [--port 8080] [--host 127.0.0.1] [--static dist] [--token HEX]
//                            [--finished] [--no-live] [--verbose]
//
// Single-threaded (Node's event loop); start_mock_server() is also imported by the test runner.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const kAssets = ['spot', 'perp', 'forex', 'options'];
const kTickMs = 250;                 // wall-clock period of the simulation
const kMarketStepMs = 30_000;        // market time advanced per tick
const kStart = Date.UTC(2024, 2, 4, 0, 0, 0);
const kHistoryMinutes = 1440;        // equity history before the start
const kInitialTrades = 3200;
const kPoolCents = 140_000;          // capital the allocations may use, 1400.00

// ---------------------------------------------------------------------------------------------
// Deterministic randomness and fixed-point formatting (the mock keeps money in integer cents).

function make_random(seed) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (list) => list[Math.floor(next() * list.length)],
    gauss: () => Math.sqrt(-2 * Math.log(next() || 1e-12)) * Math.cos(2 * Math.PI * next()),
  };
}

// Formats integer `units` with `decimals` implied decimals: fixed(-12345, 2) -> "-123.45".
function fixed(units, decimals) {
  const negative = units < 0;
  const digits = String(Math.abs(Math.round(units))).padStart(decimals + 1, '0');
  const text = decimals ? `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}` : digits;
  return negative ? `-${text}` : text;
}
const cents = (c) => fixed(c, 2);

// ---------------------------------------------------------------------------------------------
// Synthetic market and session.

const kSymbols = [
  ['spot', 'BTCUSDT', 64000.5, 1], ['spot', 'ETHUSDT', 3400.25, 2], ['spot', 'SOLUSDT', 142.35, 2],
  ['spot', 'BNBUSDT', 585.4, 1], ['spot', 'XRPUSDT', 0.6123, 4], ['spot', 'ADAUSDT', 0.4521, 4],
  ['spot', 'DOGEUSDT', 0.15321, 5], ['spot', 'AVAXUSDT', 36.12, 2], ['spot', 'LINKUSDT', 17.455, 3],
  ['spot', 'DOTUSDT', 7.123, 3], ['spot', 'LTCUSDT', 84.21, 2], ['spot', 'ATOMUSDT', 8.912, 3],
  ['perp', 'BTC-PERP', 64010.0, 1], ['perp', 'ETH-PERP', 3401.1, 2], ['perp', 'SOL-PERP', 142.4, 2],
  ['perp', 'BNB-PERP', 585.7, 1], ['perp', 'XRP-PERP', 0.6125, 4], ['perp', 'ADA-PERP', 0.4523, 4],
  ['perp', 'DOGE-PERP', 0.15325, 5], ['perp', 'AVAX-PERP', 36.15, 2], ['perp', 'LINK-PERP', 17.46, 3],
  ['perp', 'OP-PERP', 2.871, 3], ['perp', 'ARB-PERP', 1.1234, 4], ['perp', 'SUI-PERP', 1.5123, 4],
  ['forex', 'EURUSD', 1.08512, 5], ['forex', 'GBPUSD', 1.27145, 5], ['forex', 'USDJPY', 151.234, 3],
  ['forex', 'AUDUSD', 0.65432, 5], ['forex', 'USDCHF', 0.90123, 5], ['forex', 'USDCAD', 1.35421, 5],
  ['forex', 'NZDUSD', 0.60123, 5], ['forex', 'EURGBP', 0.85312, 5], ['forex', 'EURJPY', 164.123, 3],
  ['forex', 'XAUUSD', 2341.55, 2],
  ['options', 'BTC-29MAR24-70000-C', 2150.0, 1], ['options', 'BTC-29MAR24-60000-P', 1320.5, 1],
  ['options', 'ETH-29MAR24-3500-C', 142.3, 1], ['options', 'ETH-29MAR24-3000-P', 88.4, 1],
  ['options', 'SOL-29MAR24-150-C', 9.85, 2], ['options', 'BTC-26APR24-80000-C', 1710.0, 1],
];

const kFamilies = ['ema_cross', 'breakout', 'mean_reversion', 'carry', 'momentum', 'vol_sell', 'pairs'];
const kStrategyStates = [
  ['candidate', 8], ['exploring', 6], ['validating', 5], ['promoted', 4], ['retired', 6], ['rejected', 2],
];
const kReasons = {
  candidate: '', exploring: 'paper trading, 3 of 5 windows done',
  validating: 'walk-forward running', promoted: 'validation passed: sharpe 1.4, drawdown 6%',
  retired: 'drawdown 14% over the 12% limit', rejected: 'too few trades in the exploration window',
};

class Simulation {
  constructor({ seed = 7, live_assets = ['forex'] } = {}) {
    this.random = make_random(seed);
    this.market_time = kStart;
    this.steps = 0;
    this.sequence = 0;
    this.quotes = kSymbols.map(([asset, symbol, price, decimals]) => ({
      asset, symbol, decimals, base: price, ticks: Math.round(price * 10 ** decimals), time: kStart,
    }));
    const allocations = { spot: 30_000, perp: 40_000, forex: 30_000, options: 20_000 };
    this.assets = Object.fromEntries(kAssets.map((asset) => [asset, {
      asset, allocation: allocations[asset], reserved: 0, reward_points: 0, live: false, killed: false,
      realized: 0, closed_trades: 0,
    }]));
    this.live_intervals = Object.fromEntries(kAssets.map((a) => [a, []]));  // [from, to|null]
    this.strategies = [];
    this.make_strategies();
    this.trades = [];
    this.make_history();
    this.positions = [];
    for (const asset of kAssets) for (let i = 0; i < this.random.int(2, 4); i += 1) this.open_position(asset);
    for (const asset of live_assets) {
      this.assets[asset].live = true;
      this.live_intervals[asset].push([kStart - 500 * 60_000, null]);
    }
  }

  strategy_for(asset) {
    const active = this.strategies.filter((s) => s.asset === asset && s.state !== 'retired');
    return this.random.pick(active.length ? active : this.strategies).id;
  }

  make_strategies() {
    let n = 0;
    for (const [state, count] of kStrategyStates) {
      for (let i = 0; i < count; i += 1) this.add_strategy(state, kStart - (200 - (n += 1)) * 3_600_000);
    }
    this.strategies[3].flags.push('watch');
    this.strategies[10].flags.push('paused');
    this.strategies[20].flags.push('no_live', 'watch');
  }

  add_strategy(state, created_at) {
    const r = this.random;
    const id = `s-${String(this.strategies.length + 1).padStart(4, '0')}`;
    const trades = state === 'candidate' ? 0 : r.int(20, 400);
    const wins = Math.round(trades * (0.4 + r.next() * 0.25));
    const strategy = {
      id, family: r.pick(kFamilies), asset: r.pick(kAssets), state, flags: [],
      counters: state === 'candidate' ? { evaluations: 0 }
                                      : { trades, wins, losses: trades - wins, evaluations: r.int(1, 9) },
      params: { fast: r.int(5, 20), slow: r.int(30, 120), stop_pct: (r.int(5, 40) / 10) },
      reason: kReasons[state] ?? '', created_at, updated_at: created_at + r.int(1, 90) * 60_000,
      history: [{ kind: 'state', from: '', to: 'candidate', flag: '', reason: 'generated', time: created_at }],
      has_report: ['validating', 'promoted', 'retired'].includes(state) && r.next() < 0.8,
    };
    if (state !== 'candidate') {
      strategy.history.push({ kind: 'state', from: 'candidate', to: state, flag: '', reason: strategy.reason,
                              time: strategy.updated_at });
    }
    this.strategies.push(strategy);
    return strategy;
  }

  price_near(quote, spread) {
    return Math.max(1, Math.round(quote.ticks * (1 + this.random.gauss() * spread)));
  }

  // Returns a closed trade of `asset` exiting at `exit_time` (synthetic numbers, cents P&L).
  make_trade(asset, exit_time, exit_reason) {
    const r = this.random;
    const quote = r.pick(this.quotes.filter((q) => q.asset === asset));
    const side = r.next() < 0.55 ? 'buy' : 'sell';
    const entry = this.price_near(quote, 0.004);
    const exit = this.price_near(quote, 0.004);
    const notional_cents = r.int(500, 6000);
    const quantity = notional_cents / 100 / (entry / 10 ** quote.decimals);
    const qty_decimals = quantity >= 100 ? 0 : quantity >= 1 ? 2 : 5;
    const qty_units = Math.max(1, Math.round(quantity * 10 ** qty_decimals));
    const direction = side === 'buy' ? 1 : -1;
    const gross = ((exit - entry) / 10 ** quote.decimals) * (qty_units / 10 ** qty_decimals) * direction;
    const fees = Math.max(1, Math.round(notional_cents * 0.0011));
    const pnl = Math.round(gross * 100) - fees;
    this.sequence += 1;
    const stop = Math.round(entry * (1 - direction * 0.012));
    const target = Math.round(entry * (1 + direction * 0.02));
    return {
      sequence: this.sequence, strategy_id: this.strategy_for(asset), asset, symbol: quote.symbol, side,
      entry_time: exit_time - r.int(2, 240) * 60_000, exit_time,
      entry_price: fixed(entry, quote.decimals), exit_price: fixed(exit, quote.decimals),
      quantity: fixed(qty_units, qty_decimals), stop_loss: fixed(stop, quote.decimals),
      take_profit: fixed(target, quote.decimals), fees: cents(fees), realized_pnl: cents(pnl),
      price_decimals: quote.decimals, quantity_decimals: qty_decimals,
      exit_reason: exit_reason ?? r.pick(['take_profit', 'stop_loss', 'signal', 'signal', 'timeout']),
      pnl_cents: pnl,
    };
  }

  record_trade(trade) {
    this.trades.push(trade);
    const state = this.assets[trade.asset];
    state.realized += trade.pnl_cents;
    state.closed_trades += 1;
    state.reward_points = Math.round((state.reward_points + trade.pnl_cents / 400) * 10) / 10;
  }

  make_history() {
    const weights = ['spot', 'spot', 'perp', 'perp', 'perp', 'forex', 'forex', 'options'];
    const span = kHistoryMinutes * 60_000;
    const times = Array.from({ length: kInitialTrades }, () => kStart - Math.floor(this.random.next() * span))
        .sort((a, b) => a - b);
    for (const time of times) this.record_trade(this.make_trade(this.random.pick(weights), time));

    // Equity: one point a minute per asset, a random walk drifting with the realized P&L.
    this.equity = [];
    const level = Object.fromEntries(kAssets.map((a) => [a, this.assets[a].allocation - 2_000]));
    for (let m = kHistoryMinutes; m > 0; m -= 1) this.equity.push(this.equity_point(kStart - m * 60_000, level));
    this.level = level;
  }

  equity_point(time, level) {
    const values = {};
    for (const asset of kAssets) {
      if (!this.assets[asset].killed) level[asset] += Math.round(this.random.gauss() * 35 + 1);
      values[asset] = level[asset];
    }
    return { time, values };
  }

  open_position(asset) {
    const r = this.random;
    const quote = r.pick(this.quotes.filter((q) => q.asset === asset));
    const side = r.next() < 0.6 ? 'buy' : 'sell';
    const entry = this.price_near(quote, 0.003);
    const quantity = r.int(500, 5000) / 100 / (entry / 10 ** quote.decimals);
    const qty_decimals = quantity >= 100 ? 0 : quantity >= 1 ? 2 : 5;
    const direction = side === 'buy' ? 1 : -1;
    const position = {
      asset, symbol: quote.symbol, side, quote,
      qty_units: Math.max(1, Math.round(quantity * 10 ** qty_decimals)), qty_decimals, entry,
      stop: Math.round(entry * (1 - direction * 0.012)), target: Math.round(entry * (1 + direction * 0.02)),
      strategy_id: this.strategy_for(asset), opened_at: this.market_time - r.int(1, 180) * 60_000,
    };
    this.positions.push(position);
    this.assets[asset].reserved += r.int(300, 1500);
  }

  position_json(p) {
    const direction = p.side === 'buy' ? 1 : -1;
    const pnl = ((p.quote.ticks - p.entry) / 10 ** p.quote.decimals) * (p.qty_units / 10 ** p.qty_decimals) * direction;
    return {
      asset: p.asset, symbol: p.symbol, side: p.side, quantity: fixed(p.qty_units, p.qty_decimals),
      entry_price: fixed(p.entry, p.quote.decimals), mark_price: fixed(p.quote.ticks, p.quote.decimals),
      unrealized_pnl: cents(Math.round(pnl * 100)), stop_loss: fixed(p.stop, p.quote.decimals),
      take_profit: fixed(p.target, p.quote.decimals), strategy_id: p.strategy_id, opened_at: p.opened_at,
      price_decimals: p.quote.decimals, quantity_decimals: p.qty_decimals,
    };
  }

  // Closes `position` into a trade at its mark; returns the trade.
  close_position(position, exit_reason) {
    this.positions.splice(this.positions.indexOf(position), 1);
    const state = this.assets[position.asset];
    state.reserved = Math.max(0, state.reserved - this.random.int(300, 1500));
    const trade = this.make_trade(position.asset, this.market_time, exit_reason);
    Object.assign(trade, {
      symbol: position.symbol, side: position.side, strategy_id: position.strategy_id,
      entry_time: position.opened_at, entry_price: fixed(position.entry, position.quote.decimals),
      exit_price: fixed(position.quote.ticks, position.quote.decimals),
      quantity: fixed(position.qty_units, position.qty_decimals),
      stop_loss: fixed(position.stop, position.quote.decimals),
      take_profit: fixed(position.target, position.quote.decimals),
      quantity_decimals: position.qty_decimals,
    });
    this.record_trade(trade);
    return trade;
  }

  // Advances the market one tick; returns what changed: {quotes, trades, equity}.
  tick() {
    const r = this.random;
    this.steps += 1;
    this.market_time += kMarketStepMs;
    const changed = [];
    for (const quote of this.quotes) {
      if (r.next() < 0.45) {
        const step = Math.round(r.gauss() * Math.max(1, quote.ticks * 0.0004));
        if (step === 0) continue;
        quote.ticks = Math.max(1, quote.ticks + step);
        quote.time = this.market_time;
        changed.push(quote);
      }
    }
    const trades = [];
    if (r.next() < 0.3) {
      const open = this.positions.filter((p) => !this.assets[p.asset].killed);
      if (open.length) {
        const position = r.pick(open);
        trades.push(this.close_position(position));
        this.open_position(position.asset);
      }
    }
    let equity = null;
    if (this.steps % 2 === 0) {
      equity = this.equity_point(this.market_time, this.level);
      this.equity.push(equity);
    }
    if (this.steps % 40 === 0) this.advance_a_strategy();
    return { quotes: changed, trades, equity };
  }

  advance_a_strategy() {
    const next = { candidate: 'exploring', exploring: 'validating' };
    const movable = this.strategies.filter((s) => next[s.state]);
    const strategy = this.random.pick(movable);
    const from = strategy.state;
    strategy.state = next[from];
    strategy.updated_at = this.market_time;
    strategy.reason = kReasons[strategy.state];
    if (strategy.state === 'exploring') strategy.counters = { trades: 0, wins: 0, losses: 0, evaluations: 1 };
    strategy.history.push({ kind: 'state', from, to: strategy.state, flag: '', reason: strategy.reason,
                            time: this.market_time });
    if (from === 'candidate') this.add_strategy('candidate', this.market_time);
  }

  is_live_at(asset, time) {
    return this.live_intervals[asset].some(([from, to]) => time >= from && (to === null || time < to));
  }

  balance(asset) {
    return this.equity[this.equity.length - 1].values[asset];
  }

  // ----- JSON views (docs/api.md) -----

  quote_json(q) {
    // The mock lists no quantity step for its quotes: null, as for an instrument without rules.
    return {
      symbol: q.symbol, asset: q.asset, price: fixed(q.ticks, q.decimals), time: q.time,
      price_decimals: q.decimals, quantity_decimals: null,
    };
  }

  trade_json(t) {
    const { pnl_cents, ...trade } = t;
    return trade;
  }

  asset_json(asset) {
    const s = this.assets[asset];
    return {
      asset, balance: cents(this.balance(asset)), allocation: cents(s.allocation), reserved: cents(s.reserved),
      available: cents(Math.max(0, s.allocation - s.reserved)), reward_points: s.reward_points, live: s.live,
      killed: s.killed, open_positions: this.positions.filter((p) => p.asset === asset).length,
      closed_trades: s.closed_trades, realized_pnl: cents(s.realized),
    };
  }

  status_json({ running }) {
    const candidates = {};
    for (const s of this.strategies) candidates[s.state] = (candidates[s.state] ?? 0) + 1;
    return {
      feed: 'replay', feed_note: 'REPLAY of bybit + oanda recordings 2024-03-01..2024-03-04 (mock server)',
      feed_reason: 'no live credentials configured', simulated: true, running, stopping: false,
      market_time: this.market_time, steps: this.steps, closed_trades: this.trades.length,
      open_positions: this.positions.length, symbols: this.quotes.length, candidates,
      assets: kAssets.map((asset) => ({
        asset, equity: cents(this.balance(asset)),
        open_positions: this.positions.filter((p) => p.asset === asset).length,
        closed_trades: this.assets[asset].closed_trades, realized_pnl: cents(this.assets[asset].realized),
      })),
    };
  }

  equity_values(point, mode) {
    const values = {};
    let total = 0;
    for (const asset of kAssets) {
      if (mode === 'live' && !this.is_live_at(asset, point.time)) continue;
      values[asset] = cents(point.values[asset]);
      total += point.values[asset];
    }
    if (Object.keys(values).length === 0) return null;
    values.total = cents(total);
    return values;
  }

  equity_json(mode) {
    const series = Object.fromEntries([...kAssets, 'total'].map((k) => [k, []]));
    for (const point of this.equity) {
      const values = this.equity_values(point, mode);
      if (!values) continue;
      for (const [key, value] of Object.entries(values)) series[key].push({ time: point.time, value });
    }
    return { mode, series };
  }

  strategy_json(s, with_history = false) {
    const { history, has_report, ...rest } = s;
    return with_history ? { ...rest, flags: [...s.flags], history } : { ...rest, flags: [...s.flags] };
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP plumbing.

const kContentTypes = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.map': 'application/json', '.json': 'application/json',
  '.png': 'image/png', '.svg': 'image/svg+xml', '.ico': 'image/x-icon',
};

class HttpError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const refused = (message) => new HttpError(409, 'refused', message);
const not_found = (message) => new HttpError(404, 'not_found', message);

function send_json(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store',
                          'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function parse_cookies(header = '') {
  const cookies = {};
  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index > 0) cookies[part.slice(0, index).trim()] = decodeURIComponent(part.slice(index + 1).trim());
  }
  return cookies;
}

function same_text(a, b) {
  const x = Buffer.from(String(a));
  const y = Buffer.from(String(b));
  return x.length === y.length && timingSafeEqual(x, y);
}

function positive_int(value, fallback, name, max = Number.MAX_SAFE_INTEGER) {
  if (value === null || value === '') return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max) {
    throw new HttpError(400, 'bad_request', `${name} must be an integer in 1..${max}, was "${value}"`);
  }
  return Number(value);
}

// ---------------------------------------------------------------------------------------------
// The server.

export async function start_mock_server({
  port = 0, host = '127.0.0.1', static_dir = null, token = randomBytes(32).toString('hex'),
  finished = false, live_assets = ['forex'], verbose = false, seed = 7,
} = {}) {
  const sim = new Simulation({ seed, live_assets });
  const sessions = new Map();  // session id -> csrf token
  const sockets = new Set();
  const running = !finished;

  function authenticate(req) {
    const authorization = req.headers.authorization ?? '';
    if (authorization.startsWith('Bearer ') && same_text(authorization.slice(7), token)) {
      return { method: 'bearer' };
    }
    const cookies = parse_cookies(req.headers.cookie);
    const csrf = sessions.get(cookies.gauntlet_session);
    if (csrf !== undefined) return { method: 'cookie', csrf, cookie_csrf: cookies.gauntlet_csrf };
    return { method: 'none' };
  }

  const own_origin = (req) => `http://${req.headers.host}`;

  function check_csrf(req, auth) {
    if (auth.method !== 'cookie') return;
    const header = req.headers['x-csrf-token'] ?? '';
    if (!header || !same_text(header, auth.csrf) || !same_text(header, auth.cookie_csrf ?? '')) {
      throw new HttpError(403, 'csrf', 'missing or wrong X-CSRF-Token header');
    }
    if (req.headers.origin && req.headers.origin !== own_origin(req)) {
      throw new HttpError(403, 'csrf', `cross-origin request from ${req.headers.origin}`);
    }
  }

  function asset_of(name) {
    if (!kAssets.includes(name)) throw not_found(`unknown asset "${name}"`);
    return sim.assets[name];
  }

  function strategy_of(id) {
    const strategy = sim.strategies.find((s) => s.id === id);
    if (!strategy) throw not_found(`unknown strategy "${id}"`);
    return strategy;
  }

  function require_running() {
    if (!running) throw new HttpError(503, 'not_running', 'the session has finished; actions need gauntlet run');
  }

  const ok = (reason = '') => ({ ok: true, reason });

  function kill(asset) {
    const state = sim.assets[asset];
    for (const position of sim.positions.filter((p) => p.asset === asset)) {
      broadcast('trade', sim.trade_json(sim.close_position(position, 'kill')));
    }
    state.killed = true;
    state.reserved = 0;
    if (state.live) set_live(asset, false);
  }

  function set_live(asset, enabled) {
    const state = sim.assets[asset];
    if (state.live === enabled) return;
    state.live = enabled;
    const intervals = sim.live_intervals[asset];
    if (enabled) intervals.push([sim.market_time, null]);
    else if (intervals.length) intervals[intervals.length - 1][1] = sim.market_time;
  }

  // [method, pattern, handler(match, url, req) -> body]; actions are POST/DELETE.
  const routes = [
    ['GET', /^\/status$/, () => sim.status_json({ running })],
    ['GET', /^\/assets$/, () => kAssets.map((a) => sim.asset_json(a))],
    ['GET', /^\/positions$/, () => sim.positions.map((p) => sim.position_json(p))],
    ['GET', /^\/orders$/, () => sim.positions.slice(0, 3).map((p, i) => ({
      client_order_id: `mock-${i + 1}`, asset: p.asset, symbol: p.symbol, side: p.side === 'buy' ? 'sell' : 'buy',
      type: 'limit', quantity: fixed(p.qty_units, p.qty_decimals), price: fixed(p.target, p.quote.decimals),
      status: 'open', strategy_id: p.strategy_id, created_at: p.opened_at,
      price_decimals: p.quote.decimals, quantity_decimals: p.qty_decimals,
    }))],
    ['GET', /^\/quotes$/, () => sim.quotes.map((q) => sim.quote_json(q))],
    ['GET', /^\/trades$/, (m, url) => {
      const q = url.searchParams;
      const asset = q.get('asset') || null;
      if (asset) asset_of(asset);
      const strategy = q.get('strategy') || null;
      const from = q.get('from') ? Number(q.get('from')) : -Infinity;
      const to = q.get('to') ? Number(q.get('to')) : Infinity;
      if (Number.isNaN(from) || Number.isNaN(to)) throw new HttpError(400, 'bad_request', 'from/to must be ms');
      const page = positive_int(q.get('page'), 1, 'page');
      const page_size = positive_int(q.get('page_size'), 100, 'page_size', 1000);
      const matching = sim.trades.filter((t) => (!asset || t.asset === asset) &&
          (!strategy || t.strategy_id === strategy) && t.exit_time >= from && t.exit_time < to)
          .sort((a, b) => b.exit_time - a.exit_time || b.sequence - a.sequence);
      const trades = matching.slice((page - 1) * page_size, page * page_size).map((t) => sim.trade_json(t));
      return { total: matching.length, page, page_size, trades };
    }],
    ['GET', /^\/equity$/, (m, url) => {
      const mode = url.searchParams.get('mode') ?? 'paper';
      if (mode !== 'paper' && mode !== 'live') {
        throw new HttpError(400, 'bad_request', `mode must be paper or live, was "${mode}"`);
      }
      return sim.equity_json(mode);
    }],
    ['GET', /^\/strategies$/, () => sim.strategies.map((s) => sim.strategy_json(s))],
    ['GET', /^\/strategy\/([^/]+)$/, (m) => sim.strategy_json(strategy_of(m[1]), true)],
    ['GET', /^\/validation\/([^/]+)$/, (m) => {
      const s = strategy_of(m[1]);
      if (!s.has_report) throw not_found(`strategy ${s.id} has no validation report`);
      return { id: s.id, report: { id: s.id, verdict: s.state === 'retired' ? 'fail' : 'pass', sharpe: 1.4,
                                   max_drawdown: '0.06', windows: 5 },
               html: `/validation/${s.id}/report.html` };
    }],
    ['POST', /^\/live\/([^/]+)\/(enable|disable)$/, (m) => {
      const state = asset_of(m[1]);
      require_running();
      const enable = m[2] === 'enable';
      if (enable && state.killed) throw refused(`${m[1]} is killed; the kill switch holds until the session restarts`);
      if (enable && m[1] === 'options') {
        throw refused('options: no promoted strategy has passed validation for this asset');
      }
      if (state.live === enable) return ok(`already ${enable ? 'live' : 'paper'}`);
      set_live(m[1], enable);
      return ok();
    }],
    ['POST', /^\/kill$/, () => {
      require_running();
      for (const asset of kAssets) kill(asset);
      return ok();
    }],
    ['POST', /^\/kill\/([^/]+)$/, (m) => {
      asset_of(m[1]);
      require_running();
      kill(m[1]);
      return ok();
    }],
    ['POST', /^\/alloc\/([^/]+)\/(add|remove)\/100$/, (m) => {
      const state = asset_of(m[1]);
      require_running();
      if (state.killed) throw refused(`${m[1]} is killed`);
      if (m[2] === 'add') {
        const allocated = kAssets.reduce((sum, a) => sum + sim.assets[a].allocation, 0);
        if (allocated + 10_000 > kPoolCents) {
          throw refused(`no unallocated capital: pool ${cents(kPoolCents)}, allocated ${cents(allocated)}`);
        }
        state.allocation += 10_000;
      } else {
        if (state.allocation - 10_000 < state.reserved) {
          throw refused(`allocation ${cents(state.allocation - 10_000)} would fall below the reserved ` +
                        `${cents(state.reserved)}`);
        }
        state.allocation -= 10_000;
      }
      return ok();
    }],
    ['POST', /^\/strategy\/([^/]+)\/flag\/([^/]+)$/, (m) => {
      const s = strategy_of(m[1]);
      const flag = decodeURIComponent(m[2]);
      require_running();
      if (!/^[a-z0-9_]{1,32}$/.test(flag)) {
        throw new HttpError(400, 'bad_request', `flag must match [a-z0-9_]{1,32}, was "${flag}"`);
      }
      if (s.state === 'retired' || s.state === 'rejected') throw refused(`${s.id} is ${s.state}; flags are frozen`);
      if (!s.flags.includes(flag)) s.flags.push(flag);
      s.history.push({ kind: 'flag', from: '', to: '', flag, reason: 'set by operator', time: sim.market_time });
      return ok();
    }],
    ['DELETE', /^\/strategy\/([^/]+)\/flag\/([^/]+)$/, (m) => {
      const s = strategy_of(m[1]);
      const flag = decodeURIComponent(m[2]);
      require_running();
      if (!s.flags.includes(flag)) throw refused(`${s.id} has no flag "${flag}"`);
      s.flags = s.flags.filter((f) => f !== flag);
      s.history.push({ kind: 'unflag', from: '', to: '', flag, reason: 'cleared by operator', time: sim.market_time });
      return ok();
    }],
  ];

  async function serve_static(res, pathname) {
    if (!static_dir) throw not_found('no --static directory given to the mock server');
    const relative = pathname === '/' ? 'index.html' : pathname.slice(1);
    const file = path.resolve(static_dir, relative);
    if (!file.startsWith(path.resolve(static_dir) + path.sep)) throw not_found(pathname);
    let content;
    try {
      content = await readFile(file);
    } catch {
      throw not_found(`no such file ${pathname}`);
    }
    res.writeHead(200, { 'Content-Type': kContentTypes[path.extname(file)] ?? 'application/octet-stream',
                         'Cache-Control': 'no-cache' });
    res.end(content);
  }

  async function handle(req, res) {
    const url = new URL(req.url, `http://${req.headers.host ?? 'localhost'}`);
    const pathname = url.pathname;
    const auth = authenticate(req);

    if (req.method === 'GET' && pathname === '/login') {
      if (!same_text(url.searchParams.get('token') ?? '', token)) {
        throw new HttpError(401, 'unauthorized', 'wrong or missing token');
      }
      const session = randomBytes(24).toString('hex');
      const csrf = randomBytes(24).toString('hex');
      sessions.set(session, csrf);
      res.writeHead(303, {
        Location: '/',
        'Set-Cookie': [`gauntlet_session=${session}; HttpOnly; SameSite=Strict; Path=/`,
                       `gauntlet_csrf=${csrf}; SameSite=Strict; Path=/`],
        'Content-Length': 0,
      });
      return res.end();
    }
    if (req.method === 'GET' && pathname === '/session') {
      return send_json(res, 200, { authenticated: auth.method !== 'none', method: auth.method, public_read: false });
    }
    if (req.method === 'GET' && pathname === '/openapi.json') {
      return send_json(res, 200, { openapi: '3.0.3', info: { title: 'gauntlet mock', version: '0' },
                                   paths: Object.fromEntries(routes.map(([method, pattern]) =>
                                       [pattern.source, { [method.toLowerCase()]: {} }])) });
    }

    const matches = routes.map(([method, pattern, handler]) => ({ method, handler, m: pattern.exec(pathname) }))
        .filter((r) => r.m);
    if (matches.length === 0 && req.method === 'GET') {
      const report = /^\/validation\/([^/]+)\/report\.html$/.exec(pathname);
      if (!report) return serve_static(res, pathname);
      if (auth.method === 'none') throw new HttpError(401, 'unauthorized', 'log in first');
      const s = strategy_of(report[1]);
      if (!s.has_report) throw not_found(`strategy ${s.id} has no validation report`);
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      return res.end(`<!doctype html><title>${s.id}</title><body style="background:#111;color:#ddd;font:14px sans-serif">` +
                     `<h1>Validation report ${s.id}</h1><p>${s.family} on ${s.asset}: ${s.reason}</p>` +
                     '<p>(mock server)</p></body>');
    }
    if (auth.method === 'none') throw new HttpError(401, 'unauthorized', 'log in first');
    if (matches.length === 0) throw not_found(`no route ${pathname}`);
    const route = matches.find((r) => r.method === req.method);
    if (!route) throw new HttpError(405, 'method_not_allowed', `${req.method} is not allowed on ${pathname}`);
    if (req.method !== 'GET') check_csrf(req, auth);
    return send_json(res, 200, route.handler(route.m, url, req));
  }

  const server = http.createServer((req, res) => {
    let size = 0;
    req.on('data', (chunk) => { size += chunk.length; });
    req.on('end', () => {
      const done = () => verbose && console.log(`${req.method} ${req.url} -> ${res.statusCode}`);
      res.on('finish', done);
      if (size > 65536) return send_json(res, 413, { error: 'body_too_large', message: `${size} bytes` });
      Promise.resolve().then(() => handle(req, res)).catch((error) => {
        if (error instanceof HttpError) {
          send_json(res, error.status, { error: error.code, message: error.message });
        } else {
          console.error(error);
          send_json(res, 500, { error: 'internal', message: String(error.message) });
        }
      });
    });
  });

  // ----- WebSocket (RFC 6455, server to client text frames only) -----

  function encode_frame(opcode, payload) {
    const n = payload.length;
    let header;
    if (n < 126) {
      header = Buffer.from([0x80 | opcode, n]);
    } else if (n < 65536) {
      header = Buffer.alloc(4);
      header[1] = 126;
      header.writeUInt16BE(n, 2);
    } else {
      header = Buffer.alloc(10);
      header[1] = 127;
      header.writeBigUInt64BE(BigInt(n), 2);
    }
    header[0] = 0x80 | opcode;
    return Buffer.concat([header, payload]);
  }

  function broadcast(type, data) {
    if (sockets.size === 0) return;
    const frame = encode_frame(0x1, Buffer.from(JSON.stringify({ type, data })));
    for (const socket of sockets) {
      if (socket.writableLength > 4 * 1024 * 1024) socket.destroy();  // a client that does not keep up
      else socket.write(frame);
    }
  }

  function reject_upgrade(socket, status, text) {
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  }

  server.on('upgrade', (req, socket) => {
    const url = new URL(req.url, 'http://localhost');
    if (url.pathname !== '/ws') return reject_upgrade(socket, 404, 'Not Found');
    if (authenticate(req).method === 'none') return reject_upgrade(socket, 401, 'Unauthorized');
    if (req.headers.origin && req.headers.origin !== own_origin(req)) return reject_upgrade(socket, 403, 'Forbidden');
    const key = req.headers['sec-websocket-key'];
    if (!key || (req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
      return reject_upgrade(socket, 400, 'Bad Request');
    }
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
                 `Sec-WebSocket-Accept: ${accept}\r\n\r\n`);
    socket.setNoDelay(true);
    sockets.add(socket);
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const opcode = pending[0] & 0x0f;
        let length = pending[1] & 0x7f;
        let offset = 2;
        if (length === 126) {
          if (pending.length < 4) return;
          length = pending.readUInt16BE(2);
          offset = 4;
        } else if (length === 127) {
          if (pending.length < 10) return;
          length = Number(pending.readBigUInt64BE(2));
          offset = 10;
        }
        const masked = (pending[1] & 0x80) !== 0;
        const total = offset + (masked ? 4 : 0) + length;
        if (pending.length < total) return;
        const payload = Buffer.from(pending.subarray(total - length, total));
        if (masked) {
          const mask = pending.subarray(offset, offset + 4);
          for (let i = 0; i < payload.length; i += 1) payload[i] ^= mask[i % 4];
        }
        pending = pending.subarray(total);
        if (opcode === 0x8) {
          sockets.delete(socket);
          socket.end(encode_frame(0x8, Buffer.alloc(0)));
          return;
        }
        if (opcode === 0x9) socket.write(encode_frame(0xa, payload));
      }
    });
    const drop = () => sockets.delete(socket);
    socket.on('close', drop);
    socket.on('error', drop);
  });

  // ----- The clock -----

  let timer = null;
  if (running) {
    timer = setInterval(() => {
      const { quotes, trades, equity } = sim.tick();
      if (quotes.length) broadcast('quotes', quotes.map((q) => sim.quote_json(q)));
      for (const trade of trades) broadcast('trade', sim.trade_json(trade));
      if (equity) {
        for (const mode of ['paper', 'live']) {
          const values = sim.equity_values(equity, mode);
          if (values) broadcast('equity', { mode, time: equity.time, values });
        }
        broadcast('status', sim.status_json({ running }));
      }
    }, kTickMs);
  }

  await new Promise((resolve) => server.listen(port, host, resolve));
  const address = server.address();
  const base = `http://${host}:${address.port}`;
  return {
    url: base,
    port: address.port,
    token,
    login_url: `${base}/login?token=${token}`,
    // Drops every WebSocket, as the engine does with a client that does not keep up.
    drop_sockets() {
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
    async close() {
      clearInterval(timer);
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

// ---------------------------------------------------------------------------------------------

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      static: { type: 'string' },
      token: { type: 'string' },
      finished: { type: 'boolean', default: false },
      'no-live': { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
    },
  });
  const here = path.dirname(fileURLToPath(import.meta.url));
  const server = await start_mock_server({
    port: Number(values.port), host: values.host,
    static_dir: path.resolve(values.static ?? path.join(here, '..', 'dist')),
    token: values.token, finished: values.finished, live_assets: values['no-live'] ? [] : ['forex'],
    verbose: values.verbose,
  });
  console.log(`gauntlet mock server on ${server.url}`);
  console.log(`login: ${server.login_url}`);
  const stop = () => server.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
