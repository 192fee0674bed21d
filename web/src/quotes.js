// The live quotes table. `quotes` messages only carry the symbols whose price changed; they are
// merged into the latest quote per symbol and drawn at most once per animation frame, so a burst
// of messages for 40 symbols costs one redraw.

import { compare_decimal, format_decimal } from './decimal.js';
import { el, format_time_short } from './dom.js';
import { DataTable } from './table.js';

function flash(td, before, after) {
  const direction = compare_decimal(after, before);
  if (direction === 0) return;
  td.classList.remove('up', 'down');
  void td.offsetWidth;  // restarts the CSS animation
  td.classList.add(direction > 0 ? 'up' : 'down');
}

const kColumns = [
  { key: 'symbol', label: 'Symbol', type: 'text' },
  { key: 'asset', label: 'Asset', type: 'text' },
  { key: 'price', label: 'Price', type: 'decimal', on_change: flash,
    render: (q) => format_decimal(q.price, q.price_decimals) },
  { key: 'time', label: 'Time', type: 'time', render: (q) => format_time_short(q.time) },
];

export class QuotesView {
  constructor() {
    this.quotes = new Map();  // "asset:symbol" -> quote
    this.frame = null;
    this.table = new DataTable({
      testid: 'table-quotes', title: 'Quotes', columns: kColumns,
      row_key: (q) => `${q.asset}:${q.symbol}`, empty_text: 'no quotes yet',
    });
    this.element = el('div', { class: 'quotes-card' }, this.table.element);
  }

  // Replaces every quote (GET /quotes).
  load(quotes) {
    this.quotes.clear();
    this.merge(quotes);
  }

  // Merges the changed quotes of one `quotes` message.
  merge(quotes) {
    for (const quote of quotes ?? []) this.quotes.set(`${quote.asset}:${quote.symbol}`, quote);
    if (this.frame === null) this.frame = requestAnimationFrame(() => this.draw());
  }

  draw() {
    this.frame = null;
    this.table.set_rows([...this.quotes.values()]);
    this.table.set_count(`${this.quotes.size} symbols`);
  }
}
