// Gauntlet's dashboard: shows what the control-plane API returns (docs/api.md) and triggers its
// actions. It makes no decision of its own: no P&L arithmetic, no gating; the core answers.
//
// Start-up: GET /session decides between the dashboard and the "not logged in" page. The
// dashboard loads everything over REST, then follows the WebSocket; every reconnection reloads.

import './style.css';
import { api, on_unauthorized } from './api.js';
import { AssetSection, kAssets } from './assets.js';
import { Banner } from './banner.js';
import { EquityChart } from './charts.js';
import { QuotesView } from './quotes.js';
import { connect_socket } from './socket.js';
import { StrategiesView } from './strategies.js';
import './test_hooks.js';

const kAssetRefreshMs = 1000;     // /assets and /positions, on status and trade messages
const kStrategyRefreshMs = 5000;  // /strategies, on status messages

// Calls `fn` at most once per `interval_ms`; a call inside the interval runs at its end.
function throttle(fn, interval_ms) {
  let last = 0;
  let timer = null;
  return () => {
    const wait = last + interval_ms - Date.now();
    if (wait <= 0) {
      last = Date.now();
      fn();
    } else if (!timer) {
      timer = setTimeout(() => {
        timer = null;
        last = Date.now();
        fn();
      }, wait);
    }
  };
}

class Dashboard {
  constructor(session) {
    this.session = session;
    this.banner = new Banner(document.getElementById('banner'));
    this.socket = null;
    this.logged_out = false;
    this.candidates_seen = '';

    document.getElementById('dashboard').hidden = false;
    this.charts = { paper: new EquityChart('paper', 'Paper'), live: new EquityChart('live', 'Live') };
    document.getElementById('chart-paper-slot').replaceWith(this.charts.paper.element);
    document.getElementById('chart-live-slot').replaceWith(this.charts.live.element);

    this.quotes = new QuotesView();
    document.getElementById('quotes-slot').append(this.quotes.element);

    this.refresh_assets = throttle(() => this.load_assets(), kAssetRefreshMs);
    this.refresh_strategies = throttle(() => this.load_strategies(), kStrategyRefreshMs);
    this.sections = new Map(kAssets.map((asset) => [asset, new AssetSection(asset, {
      on_changed: () => {
        this.load_assets();
        this.load_equity();
      },
      on_error: (error) => this.report(error),
    })]));
    document.getElementById('assets').append(...[...this.sections.values()].map((s) => s.element));

    this.strategies = new StrategiesView({ on_changed: () => this.load_strategies() });
    document.getElementById('strategies').append(this.strategies.element);
  }

  start() {
    let first = true;
    this.reload();
    this.socket = connect_socket({
      on_open: () => {
        if (!first) this.reload();
        first = false;
      },
      on_message: (message) => this.on_message(message),
      on_state: (state) => {
        this.banner.show_socket(state);
        if (state === 'reconnecting') this.check_session();
      },
    });
  }

  reload() {
    this.banner.show_error('');
    this.guard(api.status().then((status) => this.on_status(status)));
    this.guard(api.quotes().then((quotes) => this.quotes.load(quotes)));
    this.load_assets();
    this.load_equity();
    this.load_strategies();
    for (const section of this.sections.values()) section.load_history();
  }

  load_assets() {
    this.guard(api.assets().then((assets) => {
      for (const asset of assets) this.sections.get(asset.asset)?.show_asset(asset);
    }));
    this.guard(api.positions().then((positions) => {
      for (const [asset, section] of this.sections) {
        section.show_positions(positions.filter((p) => p.asset === asset));
      }
    }));
  }

  load_equity() {
    for (const [mode, chart] of Object.entries(this.charts)) {
      this.guard(api.equity(mode).then((equity) => chart.load(equity)));
    }
  }

  load_strategies() {
    this.guard(api.strategies().then((strategies) => this.strategies.show(strategies)));
  }

  on_status(status) {
    this.banner.show_status(status);
    const candidates = JSON.stringify(status.candidates ?? {});
    if (candidates !== this.candidates_seen) {
      this.candidates_seen = candidates;
      this.load_strategies();
    }
  }

  on_message({ type, data }) {
    switch (type) {
      case 'status':
        this.on_status(data);
        this.refresh_assets();
        this.refresh_strategies();
        break;
      case 'quotes':
        this.quotes.merge(data);
        break;
      case 'trade':
        this.sections.get(data?.asset)?.add_trade(data);
        this.refresh_assets();
        break;
      case 'equity':
        this.charts[data?.mode]?.push(data.time, data.values);
        break;
      default:
        break;  // a topic this page does not show
    }
  }

  // A dropped socket may mean the session ended: ask before reconnecting forever.
  check_session() {
    api.session().then((session) => {
      if (!session.authenticated && !session.public_read) this.log_out();
    }).catch(() => {});
  }

  guard(promise) {
    promise.catch((error) => this.report(error));
  }

  report(error) {
    if (error.status === 401 && !this.session.public_read) return;  // the login page says it
    this.banner.show_error(error.describe ? error.describe() : String(error));
  }

  log_out() {
    if (this.logged_out) return;
    this.logged_out = true;
    this.socket?.stop();
    show_login_needed();
  }
}

function show_login_needed() {
  document.getElementById('boot').hidden = true;
  document.getElementById('dashboard').hidden = true;
  document.getElementById('banner').hidden = true;
  document.getElementById('auth-required').hidden = false;
}

async function boot() {
  const boot_message = document.getElementById('boot');
  let session;
  try {
    session = await api.session();
  } catch (error) {
    if (error.status === 401) {
      show_login_needed();
      return;
    }
    boot_message.textContent = `cannot reach the engine (${error.describe()}); retrying…`;
    setTimeout(boot, 2000);
    return;
  }
  boot_message.hidden = true;
  if (!session.authenticated && !session.public_read) {
    show_login_needed();
    return;
  }
  const dashboard = new Dashboard(session);
  on_unauthorized(() => {
    if (!session.public_read) dashboard.log_out();
  });
  dashboard.start();
}

boot();
