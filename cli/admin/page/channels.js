// Channels (#/channels): pending ones to accept or decline, active ones, ones in error with the platform's answer;
// rename, remove, a test message, and a form to add one. GET /api/channels and the routes under it.
import { api, path } from './api.js';
import { labelIn, listPlatforms } from './catalog.js';
import { h, replace } from './dom.js';
import { time } from './format.js';
import { addChannelForm } from './channel-form.js';
import { channelName, rawDetails, removeDialog, renameDialog, testMessageDialog } from './channel-dialogs.js';
import { busy, dataTable } from './widgets.js';

const TABLES = [
  { status: 'pending', caption: 'Pending', empty: 'No channel waits for an answer.' },
  { status: 'active', caption: 'Active', empty: 'No active channel yet: add one below, or invite the bot to one.' },
  { status: 'error', caption: 'In error', empty: 'No channel is in error.' },
];

export function render({ body, notices, current }) {
  const boxes = new Map(TABLES.map((t) => [t.status, h('div', {}, h('p', {}, 'Loading…'))]));
  const headings = new Map(TABLES.map((t) => [t.status, h('h2', { tabindex: '-1' }, t.caption)]));
  let platforms = [];
  void listPlatforms().then(
    (list) => (platforms = list),
    () => undefined, // labels fall back to names; the add form says what went wrong
  );

  /** The button of a channel's row that says `text`, once the tables are drawn again. */
  const buttonOf = (id, text) => [...body.querySelectorAll(`tr[data-channel-id="${id}"] button`)].find((b) => b.textContent === text) ?? null;
  /** The row's header of a channel, to continue from after its row moved to another table. */
  const rowOf = (id) => body.querySelector(`tr[data-channel-id="${id}"] th`);

  async function answer(channel, action, button) {
    await busy(button, async () => {
      try {
        const answered = await api.post(path`channels/${channel.id}/${action}`);
        notices.status(action === 'accept' ? `Accepted ${channelName(channel)}: it is active.` : `Declined ${channelName(channel)}: it is removed.`);
        await load();
        (action === 'accept' ? rowOf(answered.id) : headings.get('pending'))?.focus();
      } catch (error) {
        notices.error(error);
        await load();
      }
    });
  }

  function actions(channel) {
    const button = (text, onClick, className = 'secondary') => {
      const b = h('button', { type: 'button', class: className }, text);
      b.addEventListener('click', () => onClick(b));
      return b;
    };
    const again = (text) => () => buttonOf(channel.id, text);
    return h(
      'div',
      { class: 'actions' },
      channel.status === 'pending' ? [button('Accept', (b) => void answer(channel, 'accept', b), null), button('Decline', (b) => void answer(channel, 'decline', b))] : null,
      button('Rules', () => (window.location.hash = `#/rules?channel=${channel.id}`)),
      button('Rename', () => renameDialog(channel, { notices, afterRename: load, returnFocus: again('Rename') })),
      button('Send test message', () => testMessageDialog(channel, labelIn(platforms, channel.platform))),
      button('Remove', () => removeDialog(channel, { notices, afterRemove: load, returnFocus: () => headings.get(channel.status) }), 'danger'),
    );
  }

  function row(channel, withError) {
    const cells = [
      channelName(channel),
      h('code', {}, channel.channel),
      labelIn(platforms, channel.platform),
      withError
        ? h('div', { class: 'error-cell' }, h('p', {}, channel.lastError?.message ?? 'No error recorded.'), channel.lastError ? h('p', { class: 'hint' }, channel.lastError.code, ' · ', time(channel.lastError.at)) : null, rawDetails(channel.lastError?.raw))
        : channel.addedBy ?? '',
      time(channel.createdAt),
      actions(channel),
    ];
    return h('tr', { dataset: { channelId: String(channel.id) } }, cells.map((cell, i) => (i === 0 ? h('th', { scope: 'row', tabindex: '-1' }, cell) : h('td', {}, cell))));
  }

  async function load() {
    let channels;
    try {
      channels = await api.get('channels');
    } catch (error) {
      notices.error(error);
      return;
    }
    if (!current()) return;
    for (const t of TABLES) {
      const withError = t.status === 'error';
      replace(
        boxes.get(t.status),
        dataTable({
          caption: t.caption,
          captionHidden: true,
          columns: ['Name', 'Channel', 'Platform', withError ? 'Error' : 'Added by', 'Since', 'Actions'],
          rows: channels.filter((c) => c.status === t.status).map((c) => row(c, withError)),
          empty: t.empty,
          className: 'channels wide',
        }),
      );
    }
  }

  const section = (status, ...content) => h('section', { class: 'block' }, headings.get(status), ...content);
  replace(
    body,
    section('pending', h('p', { class: 'hint' }, 'Channels the bot was added or invited to by someone not allowed to: nothing is delivered there until they are accepted.'), boxes.get('pending')),
    section('active', boxes.get('active')),
    section('error', h('p', { class: 'hint' }, "Channels the platform refused to deliver to: the error, when, and the platform's own answer."), boxes.get('error')),
    h('section', { class: 'block' }, h('h2', {}, 'Add channel'), addChannelForm({ notices, onAdded: load })),
  );
  void load();
}
