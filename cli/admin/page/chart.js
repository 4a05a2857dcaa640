// The overview's "Deliveries per hour" chart, drawn by hand as inline SVG: one stacked bar per hour of the last day,
// delivered per platform in its own colour, failures on top in a hatched red that does not rely on colour alone.
// Beside it a legend, and for screen readers a table of the same numbers.
import { h, s, uid } from './dom.js';
import { count, hourLabel } from './format.js';

const HOUR = 3_600_000;
const HEIGHT = 240;
const MARGIN = { top: 12, right: 12, bottom: 46, left: 44 };

/** The 24 hours ending with the current one, as their start times (ms). */
function lastDay(now) {
  const current = Math.floor(now / HOUR) * HOUR;
  return Array.from({ length: 24 }, (_, i) => current - (23 - i) * HOUR);
}

/** A round top for the axis with at most about four steps: 1, 2, 5 × 10^k. */
function niceScale(max) {
  if (max <= 4) return { top: Math.max(1, max), step: 1 };
  const rough = max / 4;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((candidate) => candidate >= rough);
  return { top: Math.ceil(max / step) * step, step };
}

/** The numbers per hour: delivered per platform, failed in all. */
function tally(rows, now) {
  const hours = lastDay(now);
  const platforms = [...new Set(rows.map((r) => r.platform))].sort();
  const byHour = new Map(hours.map((start) => [start, { start, delivered: new Map(), failedBy: new Map(), failed: 0, total: 0 }]));
  for (const row of rows) {
    const slot = byHour.get(Math.floor(new Date(row.hour).getTime() / HOUR) * HOUR);
    if (!slot) continue; // older than the day shown (the API's window and ours may differ by a minute)
    slot.delivered.set(row.platform, (slot.delivered.get(row.platform) ?? 0) + row.delivered);
    slot.failedBy.set(row.platform, (slot.failedBy.get(row.platform) ?? 0) + row.failed);
    slot.failed += row.failed;
    slot.total += row.delivered + row.failed;
  }
  return { platforms, slots: [...byHour.values()] };
}

/** True when the day has no delivery at all: the overview says so instead of drawing an empty chart. */
export const isEmpty = (rows) => rows.every((r) => r.delivered + r.failed === 0);

/** The chart's SVG at `width` pixels (drawn again when its box changes width, so its text stays readable). */
function drawSvg({ platforms, slots }, labelOf, width) {
  const titleId = uid('chart-title');
  const descId = uid('chart-desc');
  const hatchId = uid('hatch');
  const plotWidth = width - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const { top, step } = niceScale(Math.max(...slots.map((slot) => slot.total)));
  const y = (value) => MARGIN.top + plotHeight - (value / top) * plotHeight;
  const band = plotWidth / slots.length;
  const barWidth = Math.max(4, band * 0.7);
  // Every third hour's label where there is room, else every sixth.
  const labelEvery = band >= 22 ? 3 : 6;
  const delivered = slots.reduce((sum, slot) => sum + slot.total - slot.failed, 0);
  const failed = slots.reduce((sum, slot) => sum + slot.failed, 0);

  const grid = [];
  for (let value = 0; value <= top; value += step) {
    grid.push(
      s('line', { class: 'grid', x1: MARGIN.left, x2: width - MARGIN.right, y1: y(value), y2: y(value) }),
      s('text', { class: 'tick', x: MARGIN.left - 6, y: y(value), 'text-anchor': 'end', 'dominant-baseline': 'middle' }, String(value)),
    );
  }
  const bars = slots.flatMap((slot, i) => {
    const x = MARGIN.left + i * band + (band - barWidth) / 2;
    const at = hourLabel(new Date(slot.start));
    let base = 0;
    const segment = (value, className, fill, what) => {
      const rect = s('rect', { class: className, x, width: barWidth, y: y(base + value), height: y(base) - y(base + value), fill }, s('title', {}, `${at}: ${what}`));
      base += value;
      return rect;
    };
    const parts = platforms.filter((p) => (slot.delivered.get(p) ?? 0) > 0).map((p) => segment(slot.delivered.get(p), `bar series-${platforms.indexOf(p) % 8}`, null, `${count(slot.delivered.get(p), 'delivery', 'deliveries')} to ${labelOf(p)}`));
    if (slot.failed > 0) parts.push(segment(slot.failed, 'failed-bar', `url(#${hatchId})`, `${count(slot.failed, 'failure')}`));
    const label = i % labelEvery === 0 ? s('text', { class: 'tick', x: x + barWidth / 2, y: HEIGHT - MARGIN.bottom + 16, 'text-anchor': 'middle' }, at) : null;
    return [...parts, label];
  });

  return s(
    'svg',
    { class: 'chart', role: 'img', 'aria-labelledby': titleId, 'aria-describedby': descId, width, height: HEIGHT, viewBox: `0 0 ${width} ${HEIGHT}` },
    s('title', { id: titleId }, 'Deliveries per hour'),
    s('desc', { id: descId }, `The last 24 hours, by platform: ${count(delivered, 'delivery', 'deliveries')} delivered, ${count(failed, 'failure')}. The table after the chart has the numbers.`),
    s('defs', {}, s('pattern', { id: hatchId, width: 6, height: 6, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' }, s('rect', { class: 'hatch-back', width: 6, height: 6 }), s('line', { class: 'hatch-line', x1: 0, y1: 0, x2: 0, y2: 6 }))),
    grid,
    s('line', { class: 'axis', x1: MARGIN.left, x2: width - MARGIN.right, y1: y(0), y2: y(0) }),
    bars,
    s('text', { class: 'axis-title', x: MARGIN.left + plotWidth / 2, y: HEIGHT - 6, 'text-anchor': 'middle' }, 'Hour (your local time)'),
    s('text', { class: 'axis-title', x: 12, y: MARGIN.top + plotHeight / 2, 'text-anchor': 'middle', transform: `rotate(-90 12 ${MARGIN.top + plotHeight / 2})` }, 'Deliveries'),
  );
}

function legend(platforms, labelOf) {
  return h(
    'ul',
    { class: 'legend', 'aria-label': 'Legend' },
    platforms.map((p, i) => h('li', {}, h('span', { class: `swatch series-${i % 8}`, 'aria-hidden': 'true' }), `${labelOf(p)}: delivered`)),
    h('li', {}, h('span', { class: 'swatch failed', 'aria-hidden': 'true' }), 'Failed (hatched)'),
  );
}

/** The same numbers for screen readers: the hours that had deliveries, per platform. */
function numbersTable({ platforms, slots }, labelOf) {
  const busyHours = slots.filter((slot) => slot.total > 0);
  const head = h('tr', {}, h('th', { scope: 'col' }, 'Hour'), platforms.flatMap((p) => [h('th', { scope: 'col' }, `${labelOf(p)} delivered`), h('th', { scope: 'col' }, `${labelOf(p)} failed`)]));
  const rows = busyHours.map((slot) =>
    h('tr', {}, h('th', { scope: 'row' }, hourLabel(new Date(slot.start))), platforms.flatMap((p) => [h('td', {}, String(slot.delivered.get(p) ?? 0)), h('td', {}, String(slot.failedBy.get(p) ?? 0))])),
  );
  // Hidden by its wrapper: a table keeps its content's width whatever width it is given, and would widen the page.
  return h(
    'div',
    { class: 'visually-hidden' },
    h('table', {}, h('caption', {}, 'Deliveries per hour by platform, the numbers of the chart'), h('thead', {}, head), h('tbody', {}, rows)),
  );
}

/** The chart into `container`, drawn again at each new width; answers a function that stops watching the width. */
export function drawChart(container, rows, labelOf, now = Date.now()) {
  const data = tally(rows, now);
  const figure = h('div', { class: 'chart-box' });
  let drawnWidth = 0;
  const draw = () => {
    const width = Math.max(300, Math.floor(figure.clientWidth));
    if (width === drawnWidth) return;
    drawnWidth = width;
    figure.replaceChildren(drawSvg(data, labelOf, width));
  };
  container.replaceChildren(figure, legend(data.platforms, labelOf), numbersTable(data, labelOf));
  draw();
  const watcher = new ResizeObserver(() => draw());
  watcher.observe(figure);
  return () => watcher.disconnect();
}
