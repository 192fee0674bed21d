// One section per asset: its panel (balance, allocation, reward points, the live toggle, the kill
// switch, the +100/-100 budget steps) and its Open and History tables. Buttons call the API; the
// answer (200 or the core's 409 reason) is shown as it came back.

import { api } from './api.js';
import { decimal_sign, format_decimal, format_money } from './decimal.js';
import { el, fill, format_time_short } from './dom.js';
import { DataTable } from './table.js';

export const kAssets = ['spot', 'perp', 'forex', 'options'];
const kHistoryPageSize = 25;

// Prices at the instrument's tick decimals, quantities at its step's, money to the cent; the
// exact API value stays in each cell's data-value (sorting, tooltips).
const price = (key) => (row) => format_decimal(row[key], row.price_decimals);
const quantity = (key) => (row) => format_decimal(row[key], row.quantity_decimals);
const money = (key) => (row) => format_money(row[key]);

const kPositionColumns = [
  { key: 'symbol', label: 'Symbol', type: 'text' },
  { key: 'side', label: 'Side', type: 'text' },
  { key: 'quantity', label: 'Qty', type: 'decimal', render: quantity('quantity') },
  { key: 'entry_price', label: 'Entry', type: 'decimal', render: price('entry_price') },
  { key: 'mark_price', label: 'Mark', type: 'decimal', render: price('mark_price') },
  { key: 'unrealized_pnl', label: 'Unreal. P&L', type: 'decimal', signed: true, render: money('unrealized_pnl') },
  { key: 'stop_loss', label: 'Stop', type: 'decimal', render: price('stop_loss') },
  { key: 'take_profit', label: 'Target', type: 'decimal', render: price('take_profit') },
  { key: 'strategy_id', label: 'Strategy', type: 'text' },
  { key: 'opened_at', label: 'Opened', type: 'time', render: (r) => format_time_short(r.opened_at) },
];

const kTradeColumns = [
  { key: 'sequence', label: '#', type: 'integer' },
  { key: 'exit_time', label: 'Exit time', type: 'time', render: (r) => format_time_short(r.exit_time) },
  { key: 'symbol', label: 'Symbol', type: 'text' },
  { key: 'side', label: 'Side', type: 'text' },
  { key: 'quantity', label: 'Qty', type: 'decimal', render: quantity('quantity') },
  { key: 'entry_price', label: 'Entry', type: 'decimal', render: price('entry_price') },
  { key: 'exit_price', label: 'Exit', type: 'decimal', render: price('exit_price') },
  { key: 'realized_pnl', label: 'P&L', type: 'decimal', signed: true, render: money('realized_pnl') },
  { key: 'fees', label: 'Fees', type: 'decimal', render: money('fees') },
  { key: 'exit_reason', label: 'Reason', type: 'text' },
  { key: 'strategy_id', label: 'Strategy', type: 'text' },
  { key: 'entry_time', label: 'Entry time', type: 'time', render: (r) => format_time_short(r.entry_time) },
  { key: 'stop_loss', label: 'Stop', type: 'decimal', render: price('stop_loss') },
  { key: 'take_profit', label: 'Target', type: 'decimal', render: price('take_profit') },
];

// The panel's money fields, shown to the cent.
const kMoneyFields = new Set(['balance', 'allocation', 'reserved', 'available', 'realized_pnl']);

const kFields = [
  ['balance', 'Balance'],
  ['allocation', 'Allocation'],
  ['reserved', 'Reserved'],
  ['available', 'Available'],
  ['reward_points', 'Reward pts'],
  ['realized_pnl', 'Realized P&L'],
  ['open_positions', 'Open'],
  ['closed_trades', 'Closed'],
];

export class AssetSection {
  // `on_changed` is called after every action so the caller reloads what the action changed.
  constructor(asset, { on_changed, on_error }) {
    this.asset = asset;
    this.on_changed = on_changed;
    this.on_error = on_error;
    this.state = null;
    this.history_page = 1;
    this.history_total = 0;
    this.history_rows = [];

    this.badges = el('span', { class: 'badges' });
    this.values = new Map(kFields.map(([key]) => [key, el('dd', {
      class: 'num', testid: `asset-${key.replace(/_/g, '-')}-${asset}`,
    })]));
    this.message = el('div', { class: 'asset-message', testid: `asset-message-${asset}`, role: 'status' });

    this.live_button = el('button', {
      class: 'live-toggle', type: 'button', role: 'switch', 'aria-checked': 'false',
      testid: `live-toggle-${asset}`, onclick: () => this.toggle_live(),
    });
    this.buttons = [
      this.live_button,
      el('button', { type: 'button', testid: `alloc-remove-${asset}`, title: 'remove one budget step',
                     onclick: () => this.act('allocation -100', () => api.change_allocation(asset, 'remove')) },
         '−100'),
      el('button', { type: 'button', testid: `alloc-add-${asset}`, title: 'add one budget step',
                     onclick: () => this.act('allocation +100', () => api.change_allocation(asset, 'add')) },
         '+100'),
      el('button', { class: 'danger', type: 'button', testid: `kill-${asset}`,
                     title: `flatten every ${asset} position and stop trading ${asset}`,
                     onclick: () => this.kill() }, 'KILL'),
    ];

    this.panel = el('div', { class: 'asset-panel', testid: `asset-${asset}` },
                    el('div', { class: 'asset-head' }, el('span', { class: 'asset-name' }, asset), this.badges),
                    el('dl', {}, kFields.map(([key, label]) => [el('dt', {}, label), this.values.get(key)])),
                    el('div', { class: 'asset-actions' }, this.buttons),
                    this.message);

    this.open_table = new DataTable({
      testid: `table-open-${asset}`, title: 'Open', columns: kPositionColumns,
      row_key: (p) => `${p.symbol}|${p.side}|${p.strategy_id}|${p.opened_at}`,
      empty_text: 'no open positions',
    });

    this.page_label = el('span', { class: 'page-label', testid: `history-page-${asset}` });
    const pager_button = (name, text, title, target) => el('button', {
      class: 'pager', type: 'button', testid: `history-${name}-${asset}`, title,
      onclick: () => this.load_history(target()),
    }, text);
    this.pager = [
      pager_button('first', '«', 'latest trades', () => 1),
      pager_button('prev', '‹', 'newer trades', () => this.history_page - 1),
      this.page_label,
      pager_button('next', '›', 'older trades', () => this.history_page + 1),
      pager_button('last', '»', 'oldest trades', () => this.last_page()),
    ];
    this.history_table = new DataTable({
      testid: `table-history-${asset}`, title: 'History', columns: kTradeColumns,
      row_key: (t) => String(t.sequence), empty_text: 'no closed trades',
      controls: el('span', { class: 'pager-box' }, this.pager),
    });

    this.element = el('section', { class: 'asset-section', testid: `asset-section-${asset}` },
                      this.panel,
                      el('div', { class: 'asset-tables' }, this.open_table.element,
                         this.history_table.element));
  }

  show_asset(state) {
    this.state = state;
    for (const [key, cell] of this.values) {
      const value = state[key];
      const missing = value === undefined || value === null;
      cell.textContent = missing ? '—' : kMoneyFields.has(key) ? format_money(value) : String(value);
      cell.dataset.value = missing ? cell.textContent : String(value);
      if (key === 'realized_pnl') {
        cell.classList.toggle('pos', decimal_sign(value) > 0);
        cell.classList.toggle('neg', decimal_sign(value) < 0);
      }
    }
    fill(this.badges,
        el('span', { class: `badge ${state.live ? 'live' : 'paper'}` }, state.live ? 'LIVE' : 'PAPER'),
        state.killed ? el('span', { class: 'badge killed', testid: `killed-${this.asset}` }, 'KILLED') : null);
    this.panel.classList.toggle('is-live', !!state.live);
    this.panel.classList.toggle('is-killed', !!state.killed);
    this.live_button.setAttribute('aria-checked', String(!!state.live));
    this.live_button.textContent = state.live ? '● LIVE' : '○ live';
    this.live_button.title = state.live ? `switch ${this.asset} back to paper` : `switch ${this.asset} to live`;
  }

  show_positions(positions) {
    this.open_table.set_rows(positions);
    this.open_table.set_count(`${positions.length}`);
  }

  last_page() {
    return Math.max(1, Math.ceil(this.history_total / kHistoryPageSize));
  }

  async load_history(page = this.history_page) {
    const wanted = Math.min(Math.max(1, page), this.last_page());
    try {
      const response = await api.trades(this.asset, wanted, kHistoryPageSize);
      this.history_page = response.page ?? wanted;
      this.history_total = response.total ?? 0;
      this.history_rows = response.trades ?? [];
      this.show_history();
    } catch (error) {
      this.on_error(error);
    }
  }

  // A trade closed (WebSocket): the latest page shows it at once; older pages just count it.
  add_trade(trade) {
    this.history_total += 1;
    if (this.history_page === 1) {
      this.history_rows = [trade, ...this.history_rows.filter((t) => t.sequence !== trade.sequence)]
          .slice(0, kHistoryPageSize);
    }
    this.show_history();
  }

  show_history() {
    this.history_table.set_rows(this.history_rows);
    this.history_table.set_count(`${this.history_total.toLocaleString('en-US')} trades`);
    this.page_label.textContent = `page ${this.history_page} / ${this.last_page()}`;
    const [first, prev, , next, last] = this.pager;
    first.disabled = prev.disabled = this.history_page <= 1;
    next.disabled = last.disabled = this.history_page >= this.last_page();
  }

  toggle_live() {
    const enable = !this.state?.live;
    if (enable && !window.confirm(`Switch ${this.asset} to LIVE trading? Orders will reach the venue.`)) {
      return;
    }
    this.act(enable ? 'go live' : 'back to paper', () => api.set_live(this.asset, enable));
  }

  kill() {
    const question = `Kill ${this.asset}? This flattens every ${this.asset} position and stops ` +
        `${this.asset} trading.`;
    if (!window.confirm(question)) {
      this.say('kill cancelled', 'muted');
      return;
    }
    this.act('kill', () => api.kill(this.asset));
  }

  async act(label, call) {
    for (const button of this.buttons) button.disabled = true;
    this.say(`${label}…`, 'muted');
    try {
      const answer = await call();
      this.say(`${label}: ok${answer?.reason ? ` (${answer.reason})` : ''}`, 'ok');
    } catch (error) {
      this.say(`${label}: ${error.describe ? error.describe() : error.message}`, 'error');
    } finally {
      for (const button of this.buttons) button.disabled = false;
      this.on_changed();
      this.load_history();  // a kill closes positions into trades
    }
  }

  say(text, kind) {
    this.message.textContent = text;
    this.message.className = `asset-message ${kind}`;
  }
}
