// The channels section's dialogs: rename, remove (saying how many rules go with the channel), and send a test
// message (one of the forum's latest topics, delivered now, with what the platform answered).
import { api, path } from './api.js';
import { h, replace } from './dom.js';
import { count } from './format.js';
import { clearFieldErrors, createNotices } from './notices.js';
import { busy, closeButton, field, openDialog } from './widgets.js';

export const channelName = (channel) => channel.name || channel.channel;

/** The platform's answer to a failed send, as text: kept as it came when it is a string. */
export function rawAnswer(raw) {
  if (raw === null || raw === undefined) return null;
  return typeof raw === 'string' ? raw : JSON.stringify(raw, null, 2);
}

/** <details> with the platform's raw answer; nothing when there is none. */
export function rawDetails(raw) {
  const text = rawAnswer(raw);
  return text === null ? null : h('details', { class: 'raw' }, h('summary', {}, "Platform's answer"), h('pre', { tabindex: '0' }, text));
}

/** afterRename(channel) runs with the dialog still open, so focus can return to the redrawn row. */
export function renameDialog(channel, { notices, afterRename, returnFocus }) {
  const local = createNotices('in-dialog');
  const input = h('input', { type: 'text', value: channel.name, required: true, maxlength: '200', autocomplete: 'off' });
  const submit = h('button', { type: 'submit' }, 'Rename');
  const form = h('form', {}, field('New name', input, { field: 'body.name' }), h('div', { class: 'actions' }, submit));
  const dialog = openDialog({ title: `Rename ${channelName(channel)}`, content: [form, local.elements], returnFocus });
  form.lastChild.append(closeButton(dialog));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    void busy(submit, async () => {
      try {
        const renamed = await api.patch(path`channels/${channel.id}`, { name: input.value });
        notices.status(`Renamed ${channelName(channel)} to ${renamed.name}.`);
        await afterRename(renamed);
        dialog.close();
      } catch (error) {
        local.error(error, form);
      }
    });
  });
  input.select();
}

/** Asks first, saying how many rules go with the channel; afterRemove(answer) runs once it is gone. */
export function removeDialog(channel, { notices, afterRemove, returnFocus }) {
  const local = createNotices('in-dialog');
  const what = h('p', {}, `Remove ${channelName(channel)} (${channel.channel})? Parley stops delivering there.`);
  const rulesNote = h('p', {}, 'Counting its rules…');
  const remove = h('button', { type: 'button', class: 'danger' }, 'Remove');
  const actions = h('div', { class: 'actions' }, remove);
  let removed = false;
  // Cancelled: back to the Remove button; removed: to where the caller says (the button is gone with its row).
  const dialog = openDialog({ title: `Remove ${channelName(channel)}?`, content: [what, rulesNote, actions, local.elements], className: 'confirm', returnFocus: () => (removed ? returnFocus() : null) });
  const cancel = closeButton(dialog);
  actions.append(cancel);
  cancel.focus(); // the harmless choice first: Enter does not remove
  void api.get(path`channels/${channel.id}/rules`).then(
    (rules) => {
      rulesNote.textContent = rules.length === 0 ? 'It has no rules.' : `Its ${count(rules.length, 'rule')} ${rules.length === 1 ? 'goes' : 'go'} with it.`;
    },
    () => {
      rulesNote.textContent = 'Its rules, if any, go with it.';
    },
  );
  remove.addEventListener('click', () =>
    void busy(remove, async () => {
      try {
        const answer = await api.del(path`channels/${channel.id}`);
        removed = true;
        notices.status(`Removed ${channelName(channel)}${answer.rulesRemoved > 0 ? ` and its ${count(answer.rulesRemoved, 'rule')}` : ''}.`);
        await afterRemove(answer);
        dialog.close();
      } catch (error) {
        local.error(error);
      }
    }),
  );
}

/** Picks one of the forum's latest topics and sends its notification to the channel now; shows what happened. */
export function testMessageDialog(channel, platformLabel = channel.platform) {
  const local = createNotices('in-dialog');
  const topic = h('select', { required: true, disabled: true }, h('option', { value: '' }, 'Loading the latest topics…'));
  const send = h('button', { type: 'submit', disabled: true }, 'Send');
  const answer = h('div', { class: 'test-answer' });
  const form = h(
    'form',
    {},
    h('p', {}, `Parley sends the notification of the topic you pick to ${channelName(channel)} now, as a rule would, and shows what ${platformLabel} answered.`),
    field('Forum topic', topic, { field: 'body.topicId' }),
    h('div', { class: 'actions' }, send),
  );
  const dialog = openDialog({ title: `Send a test message to ${channelName(channel)}`, content: [form, local.elements, answer] });
  form.lastChild.append(closeButton(dialog, 'Close'));

  void api.get('sources/discourse/topics').then(
    (topics) => {
      if (topics.length === 0) {
        replace(topic, h('option', { value: '' }, 'The forum has no topics yet'));
        local.alert('The forum answered no topics: create one first.');
        return;
      }
      replace(topic, topics.map((t) => h('option', { value: String(t.id) }, t.title)));
      topic.disabled = false;
      send.disabled = false;
      if (document.activeElement === dialog) topic.focus(); // nothing could take focus while the list loaded
    },
    (error) => {
      replace(topic, h('option', { value: '' }, 'No topics'));
      local.error(error);
    },
  );

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    answer.replaceChildren();
    local.clear();
    void busy(send, async () => {
      try {
        const result = await api.post(path`channels/${channel.id}/test`, { topicId: Number(topic.value) });
        if (result.ok) {
          local.status(`Delivered to ${channelName(channel)}${result.messageRef ? ` (message ${result.messageRef})` : ''}.`);
        } else {
          local.alert(`Not delivered: ${result.error.code}: ${result.error.message}`);
          replace(answer, rawDetails(result.error.raw));
        }
      } catch (error) {
        local.error(error, form);
      }
    });
  });
}
