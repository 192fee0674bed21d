// The Paper and Live equity charts: one line per asset plus the total, from GET /equity and the
// `equity` WebSocket messages. Values arrive as decimal strings; they are turned into numbers only
// to be plotted, and the legend shows the API's own strings.

import { ColorType, CrosshairMode, LineSeries, createChart } from 'lightweight-charts';
import { el, format_time } from './dom.js';
import { hooks } from './test_hooks.js';

export const kEquityLines = [
  { key: 'spot', label: 'Spot', color: '#4c9aff' },
  { key: 'perp', label: 'Perp', color: '#c678dd' },
  { key: 'forex', label: 'Forex', color: '#e5c07b' },
  { key: 'options', label: 'Options', color: '#3fc1c9' },
  // The total is several times any asset's equity: it gets the left axis so both stay readable.
  { key: 'total', label: 'Total', note: '(left axis)', color: '#f0f3f6', width: 2, scale: 'left' },
];

const kEmptyText = {
  paper: 'no paper equity yet',
  live: 'no live asset: this chart fills once an asset is switched to live',
};

const to_seconds = (ms) => Math.floor(Number(ms) / 1000);

export class EquityChart {
  constructor(mode, title) {
    this.mode = mode;
    this.lines = new Map();  // key -> {series, values: Map(seconds -> string), last_time, value_cell}

    this.legend = el('div', { class: 'legend', testid: `chart-legend-${mode}` });
    this.hover_time = el('span', { class: 'legend-time' });
    this.canvas_box = el('div', { class: 'chart-canvas' });
    this.empty = el('div', { class: 'chart-empty', testid: `chart-${mode}-empty` }, kEmptyText[mode]);
    this.element = el('div', { class: `chart-card chart-${mode}`, testid: `chart-${mode}` },
                      el('div', { class: 'chart-head' },
                         el('span', { class: 'chart-title' }, title), this.legend, this.hover_time),
                      el('div', { class: 'chart-body' }, this.canvas_box, this.empty));

    this.chart = createChart(this.canvas_box, {
      autoSize: true,
      layout: {
        background: { type: ColorType.Solid, color: '#0e1217' },
        textColor: '#8b949e',
        fontSize: 11,
        fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace',
      },
      grid: { vertLines: { color: '#161b22' }, horzLines: { color: '#161b22' } },
      rightPriceScale: { borderColor: '#262c36' },
      leftPriceScale: { visible: true, borderColor: '#262c36' },
      timeScale: { borderColor: '#262c36', timeVisible: true, secondsVisible: false },
      crosshair: { mode: CrosshairMode.Normal },
    });

    for (const line of kEquityLines) {
      const series = this.chart.addSeries(LineSeries, {
        color: line.color,
        lineWidth: line.width ?? 1,
        priceScaleId: line.scale ?? 'right',
        priceLineVisible: false,
        lastValueVisible: true,
        crosshairMarkerRadius: 3,
        priceFormat: { type: 'price', precision: 2, minMove: 0.01 },
      });
      const value_cell = el('span', { class: 'legend-value' });
      this.legend.append(el('span', { class: 'legend-item', dataset: { line: line.key } },
                            el('i', { class: 'swatch', style: `background:${line.color}` }),
                            line.label, line.note ? el('span', { class: 'legend-note' }, line.note) : null,
                            value_cell));
      this.lines.set(line.key, { series, values: new Map(), last_time: null, value_cell });
    }
    this.chart.subscribeCrosshairMove((param) => this.show_values(param.time));
    this.update_counters();
  }

  // Replaces every line with the series of GET /equity?mode=...
  load(response) {
    for (const [key, line] of this.lines) {
      const points = new Map();
      for (const point of response?.series?.[key] ?? []) {
        if (Number.isFinite(Number(point.value))) points.set(to_seconds(point.time), point.value);
      }
      const times = [...points.keys()].sort((a, b) => a - b);
      line.values = new Map(times.map((t) => [t, points.get(t)]));
      line.series.setData(times.map((t) => ({ time: t, value: Number(points.get(t)) })));
      line.last_time = times.length ? times[times.length - 1] : null;
    }
    this.chart.timeScale().fitContent();
    this.update_counters();
  }

  // Appends one `equity` message: {time, values: {spot: "..", ..., total: ".."}}.
  push(time_ms, values) {
    const time = to_seconds(time_ms);
    for (const [key, value] of Object.entries(values ?? {})) {
      const line = this.lines.get(key);
      if (!line || !Number.isFinite(Number(value))) continue;
      if (line.last_time !== null && time < line.last_time) continue;  // stale, already drawn
      line.series.update({ time, value: Number(value) });
      line.values.set(time, value);
      line.last_time = time;
    }
    this.update_counters();
  }

  points() {
    let total = 0;
    for (const line of this.lines.values()) total += line.values.size;
    return total;
  }

  update_counters() {
    const points = this.points();
    hooks.chartPoints[this.mode] = points;
    this.empty.hidden = points > 0;
    this.show_values(undefined);
  }

  // Shows each line's value at `time` (the crosshair) or its latest value.
  show_values(time) {
    for (const line of this.lines.values()) {
      const at = time ?? line.last_time;
      line.value_cell.textContent = at === null ? '' : (line.values.get(at) ?? '');
    }
    this.hover_time.textContent = time === undefined ? '' : format_time(Number(time) * 1000);
  }
}
