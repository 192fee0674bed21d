// The top banner: what the feed is (a loud strip when it is simulated or replayed), the market
// clock, whether the session runs, and the WebSocket's state.

import { el, fill, format_time } from './dom.js';

export class Banner {
  constructor(root) {
    this.root = root;
    this.feed = el('div', { class: 'feed', testid: 'feed-banner' });
    this.run_state = el('span', { class: 'run-state', testid: 'run-state' });
    this.market_time = el('span', { class: 'market-time', testid: 'market-time' });
    this.facts = el('span', { class: 'facts' });
    this.socket = el('span', { class: 'ws-state', testid: 'ws-state' }, 'ws: connecting');
    this.error = el('div', { class: 'api-error', testid: 'api-error', role: 'alert', hidden: true });
    root.append(
        el('div', { class: 'bar' },
           el('span', { class: 'brand' }, 'GAUNTLET'), this.run_state,
           el('span', { class: 'label' }, 'market'), this.market_time,
           this.facts, el('span', { class: 'spacer' }), this.socket),
        this.feed, this.error);
  }

  // Shows the last failed call ("" clears it).
  show_error(text) {
    this.error.textContent = text;
    this.error.hidden = !text;
  }

  show_status(status) {
    const simulated = status.simulated !== false;
    this.feed.className = `feed ${simulated ? 'simulated' : 'live'}`;
    fill(this.feed,
        el('strong', {}, simulated ? `${String(status.feed || 'simulated').toUpperCase()} FEED`
                                   : 'LIVE FEED'),
        el('span', {}, status.feed_note || (simulated ? 'no live market data' : '')),
        status.feed_reason ? el('span', { class: 'reason' }, status.feed_reason) : null);

    const state = status.stopping ? 'stopping' : status.running ? 'running' : 'finished';
    this.run_state.className = `run-state ${state}`;
    this.run_state.textContent = state.toUpperCase();
    this.market_time.textContent = status.market_time ? `${format_time(status.market_time)} UTC` : '—';

    const candidates = Object.entries(status.candidates ?? {})
        .map(([state_name, n]) => `${state_name} ${n}`).join(' · ');
    fill(this.facts,
        fact('steps', status.steps), fact('symbols', status.symbols),
        fact('open', status.open_positions), fact('closed', status.closed_trades),
        candidates ? fact('strategies', candidates) : null);
  }

  show_socket(state) {
    this.socket.className = `ws-state ${state}`;
    this.socket.textContent = `ws: ${state}`;
  }
}

function fact(label, value) {
  if (value === undefined || value === null) return null;
  return el('span', { class: 'fact' }, el('span', { class: 'label' }, label), ` ${value}`);
}
