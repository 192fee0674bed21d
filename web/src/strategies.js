// Candidate strategies grouped by lifecycle state, with their counters and flags. Flags are set
// and cleared through the API; a strategy with a validation report links to it. Cards are keyed
// by id and updated in place, so a refresh never eats a flag being typed.

import { api } from './api.js';
import { el, fill, format_time } from './dom.js';

const kStateOrder = ['candidate', 'exploring', 'validating', 'promoted', 'live', 'paused', 'retired',
                     'rejected'];
const kAlwaysShown = ['candidate', 'exploring', 'validating', 'promoted', 'retired'];
const kReportProbes = 4;  // concurrent GET /validation/{id}

class StrategyCard {
  constructor(id, view) {
    this.id = id;
    this.view = view;
    this.title = el('span', { class: 'strategy-id' }, id);
    this.meta = el('span', { class: 'strategy-meta' });
    this.report = el('span', { class: 'strategy-report' });
    this.counters = el('div', { class: 'counters' });
    this.flags = el('span', { class: 'flags' });
    this.flag_input = el('input', {
      class: 'flag-input', type: 'text', placeholder: 'flag', list: 'flag-names', size: 8,
      'aria-label': `new flag for ${id}`, testid: `flag-input-${id}`,
      onkeydown: (event) => { if (event.key === 'Enter') this.add_flag(); },
    });
    this.reason = el('div', { class: 'strategy-reason' });
    this.message = el('div', { class: 'strategy-message', role: 'status' });
    this.element = el('div', { class: 'strategy', testid: `strategy-${id}`, dataset: { id } },
                      el('div', { class: 'strategy-head' }, this.title, this.meta, this.report),
                      this.counters,
                      el('div', { class: 'flag-row' }, this.flags, this.flag_input,
                         el('button', { type: 'button', class: 'small', testid: `flag-add-${id}`,
                                        onclick: () => this.add_flag() }, '+flag')),
                      this.reason, this.message);
  }

  update(strategy) {
    this.strategy = strategy;
    this.meta.textContent = [strategy.family, strategy.asset].filter(Boolean).join(' · ');
    this.title.title = `params ${JSON.stringify(strategy.params ?? {})}\n` +
        `created ${format_time(strategy.created_at)}, updated ${format_time(strategy.updated_at)}`;
    fill(this.counters, ...Object.entries(strategy.counters ?? {}).map(([name, value]) =>
        el('span', { class: 'counter' }, el('span', { class: 'label' }, name), ` ${value}`)));
    fill(this.flags, ...(strategy.flags ?? []).map((flag) =>
        el('span', { class: 'flag', testid: `flag-${this.id}-${flag}` }, flag,
           el('button', { type: 'button', class: 'flag-clear', title: `clear ${flag}`,
                          testid: `flag-clear-${this.id}-${flag}`,
                          onclick: () => this.act(`clear ${flag}`, () => api.clear_flag(this.id, flag)) },
              '×'))));
    this.reason.textContent = strategy.reason ?? '';
  }

  show_report(html) {
    fill(this.report, html
        ? el('a', { href: html, target: '_blank', rel: 'noopener', testid: `report-${this.id}` }, 'report ↗')
        : '');
  }

  add_flag() {
    const flag = this.flag_input.value.trim();
    if (!flag) return;
    this.act(`set ${flag}`, () => api.set_flag(this.id, flag)).then(() => {
      this.flag_input.value = '';
    });
  }

  async act(label, call) {
    this.message.textContent = `${label}…`;
    this.message.className = 'strategy-message muted';
    try {
      await call();
      this.message.textContent = '';
    } catch (error) {
      this.message.textContent = `${label}: ${error.describe ? error.describe() : error.message}`;
      this.message.className = 'strategy-message error';
    }
    this.view.on_changed();
  }
}

export class StrategiesView {
  constructor({ on_changed }) {
    this.on_changed = on_changed;
    this.cards = new Map();    // id -> StrategyCard
    this.groups = new Map();   // state -> {element, list, count}
    this.reports = new Map();  // id -> {updated_at, html} (html null: no report)
    this.probing = new Set();
    this.flag_names = el('datalist', { id: 'flag-names' });
    this.board = el('div', { class: 'strategy-board' });
    this.total = el('span', { class: 'count' });
    this.element = el('div', { class: 'strategies-card' },
                      el('div', { class: 'section-head' }, el('span', { class: 'section-title' }, 'Strategies'),
                         this.total),
                      this.board, this.flag_names);
    for (const state of kAlwaysShown) this.group(state);
  }

  group(state) {
    let group = this.groups.get(state);
    if (group) return group;
    const count = el('span', { class: 'count' });
    const list = el('div', { class: 'strategy-list' });
    group = { state, count, list,
              element: el('div', { class: `strategy-group state-${state}`, testid: `strategy-group-${state}` },
                          el('div', { class: 'group-head' }, el('span', {}, state), count), list) };
    this.groups.set(state, group);
    const rank = (s) => (kStateOrder.includes(s) ? kStateOrder.indexOf(s) : kStateOrder.length);
    const ordered = [...this.groups.values()]
        .sort((a, b) => rank(a.state) - rank(b.state) || a.state.localeCompare(b.state));
    fill(this.board, ...ordered.map((g) => g.element));
    return group;
  }

  show(strategies) {
    const seen = new Set();
    const per_state = new Map();
    for (const strategy of strategies) {
      seen.add(strategy.id);
      let card = this.cards.get(strategy.id);
      if (!card) {
        card = new StrategyCard(strategy.id, this);
        this.cards.set(strategy.id, card);
      }
      card.update(strategy);
      const state = strategy.state || 'unknown';
      if (!per_state.has(state)) per_state.set(state, []);
      per_state.get(state).push(card.element);
    }
    for (const [id, card] of this.cards) {
      if (!seen.has(id)) {
        card.element.remove();
        this.cards.delete(id);
      }
    }
    for (const state of per_state.keys()) this.group(state);
    for (const [state, group] of this.groups) {
      const elements = per_state.get(state) ?? [];
      fill(group.list, elements);
      group.count.textContent = String(elements.length);
      group.element.hidden = elements.length === 0 && !kAlwaysShown.includes(state);
    }
    this.total.textContent = `${strategies.length}`;
    const flags = new Set(strategies.flatMap((s) => s.flags ?? []));
    fill(this.flag_names, ...[...flags].sort().map((f) => el('option', { value: f })));
    this.probe_reports(strategies);
  }

  // Looks up which strategies have a validation report, once per strategy version.
  probe_reports(strategies) {
    const queue = [];
    for (const strategy of strategies) {
      const known = this.reports.get(strategy.id);
      const card = this.cards.get(strategy.id);
      if (known && known.updated_at === strategy.updated_at) card.show_report(known.html);
      else if (!this.probing.has(strategy.id)) queue.push(strategy);
    }
    const next = async () => {
      const strategy = queue.shift();
      if (!strategy) return;
      this.probing.add(strategy.id);
      try {
        const found = await api.validation(strategy.id);
        const html = found?.html || `/validation/${encodeURIComponent(strategy.id)}/report.html`;
        this.reports.set(strategy.id, { updated_at: strategy.updated_at, html });
      } catch (error) {
        if (error.status === 404) this.reports.set(strategy.id, { updated_at: strategy.updated_at, html: null });
      } finally {
        this.probing.delete(strategy.id);
      }
      this.cards.get(strategy.id)?.show_report(this.reports.get(strategy.id)?.html ?? null);
      await next();
    };
    for (let i = 0; i < kReportProbes; i += 1) next();
  }
}
