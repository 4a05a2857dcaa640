// Overview (#/overview): health of the database, Redis, each platform and source; queue depths; deliveries by
// status; deliveries per hour for the last day. GET /api/overview and /api/deliveries/per-hour, again every 30 s
// while the page is visible.
import { api } from './api.js';
import { labelIn, listPlatforms, listSources } from './catalog.js';
import { drawChart, isEmpty } from './chart.js';
import { h, replace } from './dom.js';
import { capitalized } from './format.js';
import { busy, dataTable } from './widgets.js';

const REFRESH_MS = 30_000;
const CHECK_NAMES = { database: 'Database', redis: 'Redis' };

const block = (title, ...content) => h('section', { class: 'block' }, h('h2', {}, title), ...content);

export function render({ body, notices, current }) {
  const health = h('div', {}, h('p', {}, 'Loading…'));
  const queues = h('div');
  const statuses = h('div');
  const chart = h('div', { class: 'chart-area' });
  const updated = h('p', { class: 'hint' });
  const refresh = h('button', { type: 'button', class: 'secondary' }, 'Refresh');
  let stopChart = () => {};
  let labels = [];
  // Labels (Slack, IRC, GitLab) where the catalog is known; until then, or without it, the names.
  const labelOf = (name) => CHECK_NAMES[name] ?? (labelIn(labels, name) === name ? capitalized(name) : labelIn(labels, name));
  void Promise.allSettled([listPlatforms(), listSources()]).then((answers) => {
    labels = answers.flatMap((a) => (a.status === 'fulfilled' ? a.value : []));
  });

  async function load() {
    let overview;
    let hours;
    try {
      [overview, hours] = await Promise.all([api.get('overview'), api.get('deliveries/per-hour')]);
    } catch (error) {
      notices.error(error);
      return;
    }
    if (!current()) return;
    replace(
      health,
      dataTable({
        caption: 'Health',
        captionHidden: true,
        columns: ['Check', 'State', 'Detail'],
        rowHeader: true,
        rows: Object.entries(overview.checks).map(([name, check]) => [labelOf(name), h('span', { class: ['state', check.ok ? 'ok' : 'bad'] }, check.ok ? 'OK' : 'Failing'), check.detail ?? '']),
        empty: 'No checks.',
      }),
    );
    replace(
      queues,
      dataTable({
        caption: 'Queues',
        captionHidden: true,
        columns: ['Queue', 'Waiting', 'Active', 'Delayed', 'Failed'],
        rowHeader: true,
        rows: Object.entries(overview.queues).map(([name, depth]) => [name, String(depth.waiting), String(depth.active), String(depth.delayed), String(depth.failed)]),
        empty: 'No queues.',
      }),
    );
    const byStatus = Object.entries(overview.deliveries);
    replace(statuses, byStatus.length === 0 ? h('p', {}, 'No deliveries yet.') : h('ul', { class: 'counts' }, byStatus.map(([status, n]) => h('li', {}, h('strong', {}, String(n)), ` ${status}`))));
    stopChart();
    if (isEmpty(hours)) {
      stopChart = () => {};
      replace(chart, h('p', { class: 'empty-state' }, 'No deliveries in the last 24 hours.'));
    } else {
      stopChart = drawChart(chart, hours, labelOf);
    }
    updated.textContent = `Updated ${new Date().toLocaleTimeString()}; again every 30 seconds while this page is open.`;
  }

  refresh.addEventListener('click', () => void busy(refresh, load));
  replace(
    body,
    h('div', { class: 'toolbar' }, refresh, updated),
    block('Health', health),
    block('Queues', queues),
    block('Deliveries by status', statuses),
    block('Deliveries per hour', h('p', { class: 'hint' }, 'The last 24 hours, by platform; failures hatched on top.'), chart),
  );
  void load();
  const timer = setInterval(() => {
    if (document.visibilityState === 'visible') void load();
  }, REFRESH_MS);
  return () => {
    clearInterval(timer);
    stopChart();
  };
}
