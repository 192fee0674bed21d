// A table the operator can sort by any column and collapse. Rows are keyed, so a refresh only
// touches the cells whose text changed (the quotes table redraws several times a second).
//
// Columns: {key, label, type: 'decimal'|'integer'|'time'|'text', render(row) -> text,
//           signed: colour by the sign of the value, on_change(td, before, after)}. A rendered
// decimal (rounded for display) shows the exact value as the cell's tooltip.
// Decimal, integer and time columns sort numerically (decimal strings digit by digit).

import { compare_decimal, decimal_sign } from './decimal.js';
import { display, el } from './dom.js';

const kNumericTypes = new Set(['decimal', 'integer', 'time']);

export class DataTable {
  constructor({ testid, title, columns, row_key, empty_text = 'nothing yet', controls = [] }) {
    this.columns = columns;
    this.row_key = row_key;
    this.rows = [];
    this.sort = { key: null, direction: 'asc' };
    this.rendered = new Map();  // row key -> {tr, cells: Map(column key -> {td, text})}

    this.toggle = el('button', {
      class: 'collapse', type: 'button', 'aria-expanded': 'true',
      testid: `toggle-${testid.replace(/^table-/, '')}`,
      onclick: () => this.set_collapsed(this.toggle.getAttribute('aria-expanded') === 'true'),
    }, el('span', { class: 'chevron' }, '▾'), ` ${title}`);
    this.count = el('span', { class: 'count' });
    this.headers = columns.map((column) => el('th', {
      class: kNumericTypes.has(column.type) ? 'num sortable' : 'sortable',
      dataset: { col: column.key, sort: '' },
      title: `sort by ${column.label}`,
      onclick: () => this.sort_by(column.key),
    }, column.label, el('span', { class: 'sort-indicator' })));
    this.body = el('tbody');
    this.empty = el('div', { class: 'empty' }, empty_text);
    this.scroll = el('div', { class: 'table-scroll' },
                     el('table', {}, el('thead', {}, el('tr', {}, this.headers)), this.body),
                     this.empty);
    this.element = el('div', { class: 'table-box', testid },
                      el('div', { class: 'table-head' }, this.toggle, this.count,
                         el('span', { class: 'spacer' }), controls),
                      this.scroll);
  }

  set_rows(rows) {
    this.rows = rows;
    this.render();
  }

  set_count(text) {
    this.count.textContent = text;
  }

  set_collapsed(collapsed) {
    this.toggle.setAttribute('aria-expanded', String(!collapsed));
    this.toggle.querySelector('.chevron').textContent = collapsed ? '▸' : '▾';
    this.scroll.hidden = collapsed;
    this.body.hidden = collapsed;
  }

  sort_by(key) {
    const same = this.sort.key === key;
    this.sort = { key, direction: same && this.sort.direction === 'asc' ? 'desc' : 'asc' };
    for (const th of this.headers) {
      const active = th.dataset.col === key;
      th.dataset.sort = active ? this.sort.direction : '';
      th.setAttribute('aria-sort', active ? `${this.sort.direction}ending` : 'none');
      th.querySelector('.sort-indicator').textContent =
          active ? (this.sort.direction === 'asc' ? ' ▲' : ' ▼') : '';
    }
    this.render();
  }

  sorted_rows() {
    const column = this.columns.find((c) => c.key === this.sort.key);
    if (!column) return this.rows;
    const sign = this.sort.direction === 'asc' ? 1 : -1;
    const numeric = kNumericTypes.has(column.type);
    const value = (row) => row[column.key];
    // Array.prototype.sort is stable: equal values keep the server's order.
    return [...this.rows].sort((a, b) => sign * (numeric
        ? compare_decimal(value(a), value(b))
        : display(value(a)).localeCompare(display(value(b)))));
  }

  render() {
    const rows = this.sorted_rows();
    const keep = new Set(rows.map(this.row_key));
    for (const [key, entry] of this.rendered) {
      if (!keep.has(key)) {
        entry.tr.remove();
        this.rendered.delete(key);
      }
    }
    rows.forEach((row, index) => {
      const key = this.row_key(row);
      let entry = this.rendered.get(key);
      if (!entry) {
        entry = this.create_row(key);
        this.rendered.set(key, entry);
      }
      this.update_row(entry, row);
      const at = this.body.children[index];
      if (at !== entry.tr) this.body.insertBefore(entry.tr, at ?? null);
    });
    this.empty.hidden = rows.length > 0;
  }

  create_row(key) {
    const cells = new Map();
    const tr = el('tr', { testid: 'row', dataset: { key } });
    for (const column of this.columns) {
      const td = el('td', {
        class: kNumericTypes.has(column.type) ? 'num' : '',
        dataset: { col: column.key },
      });
      cells.set(column.key, { td, text: null });
      tr.append(td);
    }
    return { tr, cells };
  }

  update_row(entry, row) {
    for (const column of this.columns) {
      const cell = entry.cells.get(column.key);
      const raw = row[column.key];
      const text = column.render ? column.render(row) : display(raw);
      if (cell.text === text) continue;
      const before = cell.text === null ? null : cell.td.dataset.value;
      cell.td.textContent = text;
      cell.td.dataset.value = display(raw);
      // A rounded display keeps the exact value at hand.
      cell.td.title = typeof column.title === 'function' ? column.title(row)
          : column.render && column.type === 'decimal' && text !== display(raw) ? display(raw) : '';
      if (column.signed) {
        const sign = decimal_sign(raw);
        cell.td.classList.toggle('pos', sign > 0);
        cell.td.classList.toggle('neg', sign < 0);
      }
      if (column.on_change && before !== null) column.on_change(cell.td, before, display(raw));
      cell.text = text;
    }
  }
}
