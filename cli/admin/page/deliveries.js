// Deliveries (#/deliveries): the delivery log, newest first, searched and paged (GET /api/deliveries); a failed
// delivery tried again (POST /api/deliveries/JOB_ID/retry), its row updated where it is. The search is kept in the
// hash (#/deliveries?status=failed&offset=50), so that a reload or a shared link shows the same page.
import { api, path } from './api.js';
import { labelIn, listPlatforms } from './catalog.js';
import { h, replace } from './dom.js';
import { time } from './format.js';
import { busy, field, pager, select } from './widgets.js';

const LIMIT = 50;
const STATUSES = ['queued', 'delivered', 'failed', 'cancelled', 'withdrawn'];
const COLUMNS = ['Channel', 'Event', 'Status', 'Attempts', 'Last error', 'Updated', 'Actions'];
/** How long after a retry the page looks again, once: long enough for a quick delivery to be done. */
const AFTER_RETRY_MS = 3000;

export function render({ body, notices, current, params, setParams }) {
  const text = h('input', { type: 'search', name: 'text', maxlength: '200', value: params.get('text') ?? '' });
  const status = select([['', 'Any'], ...STATUSES.map((s) => [s, s])], { name: 'status' });
  const platform = select([['', 'Any']], { name: 'platform' });
  const channel = select([['', 'Any']], { name: 'channelId' });
  const search = h('button', { type: 'submit' }, 'Search');
  const form = h(
    'form',
    { class: 'search', role: 'search', 'aria-label': 'Search deliveries' },
    field('Text', text, { field: 'querystring.text', hint: 'Part of the event, the subject or the last error.' }),
    field('Status', status, { field: 'querystring.status' }),
    field('Platform', platform, { field: 'querystring.platform' }),
    field('Channel', channel, { field: 'querystring.channelId' }),
    h('div', { class: 'actions' }, search),
  );
  status.value = STATUSES.includes(params.get('status')) ? params.get('status') : '';
  const tbody = h('tbody');
  const summary = h('p', { class: 'hint' });
  const paging = h('div');
  const channelNames = new Map();
  let platforms = [];
  let offset = Number(params.get('offset')) || 0;
  let followUp = null;

  const query = () => ({ text: text.value.trim(), status: status.value, platform: platform.value, channelId: channel.value });

  function cells(delivery) {
    const retry =
      delivery.status === 'failed'
        ? h('button', { type: 'button', class: 'secondary' }, 'Retry')
        : null;
    retry?.addEventListener('click', () => void busy(retry, () => retryDelivery(delivery)));
    return [
      h('th', { scope: 'row', tabindex: '-1' }, channelNames.get(delivery.channelId) ?? `channel ${delivery.channelId}`),
      h('td', {}, h('span', {}, delivery.subject), h('br'), h('code', { class: 'hint' }, delivery.eventKey)),
      h('td', {}, h('span', { class: ['state', delivery.status === 'failed' ? 'bad' : delivery.status === 'delivered' ? 'ok' : null] }, delivery.status)),
      h('td', {}, String(delivery.attempts)),
      h('td', { class: 'wrap' }, delivery.lastError ?? ''),
      h('td', {}, time(delivery.updatedAt)),
      h('td', {}, retry),
    ];
  }

  const rowOf = (jobId) => [...tbody.rows].find((tr) => tr.dataset.jobId === jobId);
  /** A row drawn again in place: the rest of the table, and focus elsewhere in it, stay. */
  function redraw(delivery) {
    const tr = rowOf(delivery.jobId);
    if (!tr) return;
    const focusedHeader = document.activeElement === tr.cells[0];
    tr.dataset.status = delivery.status;
    tr.replaceChildren(...cells(delivery));
    if (focusedHeader) tr.cells[0].focus();
  }

  async function retryDelivery(delivery) {
    try {
      await api.post(path`deliveries/${delivery.jobId}/retry`);
      notices.status(`Retrying the delivery of “${delivery.subject}”: it is queued.`);
      redraw({ ...delivery, status: 'queued', lastError: null, attempts: 0, updatedAt: new Date().toISOString() });
      rowOf(delivery.jobId)?.cells[0].focus(); // the Retry button is gone: stay on its row
      watchRetry(delivery.jobId, 10);
    } catch (error) {
      notices.error(error);
    }
  }

  /** Looks again every few seconds while the retried delivery is queued (at most `looks` times), so it shows its outcome. */
  function watchRetry(jobId, looks) {
    clearTimeout(followUp);
    followUp = setTimeout(async () => {
      await load({ inPlace: true });
      const status = rowOf(jobId)?.dataset.status;
      if (current() && status === 'queued' && looks > 1) watchRetry(jobId, looks - 1);
    }, AFTER_RETRY_MS);
  }

  async function load({ inPlace = false } = {}) {
    let page;
    try {
      page = await api.get('deliveries', { ...query(), limit: LIMIT, offset });
    } catch (error) {
      notices.error(error, form);
      return;
    }
    if (!current()) return;
    if (inPlace) {
      for (const delivery of page.deliveries) redraw(delivery);
      return;
    }
    tbody.replaceChildren();
    if (page.deliveries.length === 0) tbody.append(h('tr', {}, h('td', { colspan: COLUMNS.length, class: 'empty' }, 'No delivery matches.')));
    for (const delivery of page.deliveries) tbody.append(h('tr', { dataset: { jobId: delivery.jobId, status: delivery.status } }, cells(delivery)));
    summary.textContent = page.total === 0 ? '' : `${page.total} in all, newest first.`;
    replace(
      paging,
      page.total > page.limit
        ? pager({
            ...page,
            onPage: (next) => {
              offset = next;
              keepInHash();
              void load();
            },
          })
        : null,
    );
  }

  function keepInHash() {
    const kept = new URLSearchParams(Object.entries(query()).filter(([, v]) => v !== ''));
    if (offset > 0) kept.set('offset', String(offset));
    setParams(kept);
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    offset = 0;
    keepInHash();
    notices.clear();
    void busy(search, load);
  });

  replace(
    body,
    form,
    summary,
    h(
      'div',
      { class: 'table-scroll', tabindex: '0', role: 'group', 'aria-label': 'Deliveries (table)' },
      h('table', { class: 'deliveries wide' }, h('caption', { class: 'visually-hidden' }, 'Deliveries'), h('thead', {}, h('tr', {}, COLUMNS.map((c) => h('th', { scope: 'col' }, c)))), tbody),
    ),
    paging,
  );

  // The selects' choices first (platform labels, channel names), then the page the hash names.
  void Promise.allSettled([listPlatforms(), api.get('channels')]).then(([p, c]) => {
    if (!current()) return;
    platforms = p.status === 'fulfilled' ? p.value : [];
    const channels = c.status === 'fulfilled' ? c.value : [];
    for (const ch of channels) channelNames.set(ch.id, ch.name || ch.channel);
    replace(platform, h('option', { value: '' }, 'Any'), platforms.map((entry) => h('option', { value: entry.name }, labelIn(platforms, entry.name))));
    replace(channel, h('option', { value: '' }, 'Any'), channels.map((ch) => h('option', { value: String(ch.id) }, `${ch.name || ch.channel} (${ch.channel})`)));
    platform.value = params.get('platform') ?? '';
    channel.value = params.get('channelId') ?? '';
    void load();
  });
  return () => clearTimeout(followUp);
}
