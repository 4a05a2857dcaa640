// The "Add channel" form (POST /api/channels). Its platform's own settings (a Mattermost webhook URL) come from that
// platform's channelOptions in GET /api/platforms: a new platform brings its fields, this file names none.
import { api } from './api.js';
import { listPlatforms } from './catalog.js';
import { h, replace } from './dom.js';
import { capitalized } from './format.js';
import { clearFieldErrors } from './notices.js';
import { busy, field } from './widgets.js';
import { channelName } from './channel-dialogs.js';

/** Settings every platform's channels take (the core's, as `parley channels add` has them). */
const CORE_SETTINGS = [
  { key: 'defaultCategory', label: 'Default category', hint: 'Where /topic puts a transcript when it names no category: a slug, or parent/child.' },
  { key: 'transcriptTarget', label: 'Transcript target', hint: 'gitlab:GROUP/PROJECT to make /topic open a GitLab issue there; empty for forum topics.' },
  { key: 'timezone', label: 'Time zone', hint: 'For times typed in this channel, e.g. Europe/Berlin.' },
];

/** "--webhook-url <url>" → "Webhook url": the flag's words, as the CLI spells the setting. */
const optionLabel = (option) => capitalized((/--([\w-]+)/u.exec(option.flag)?.[1] ?? option.key).replace(/-/gu, ' '));

function settingInput(key) {
  return h('input', { type: 'text', name: key, autocomplete: 'off', spellcheck: 'false', dataset: { setting: key } });
}

/** The form; onAdded(channel) runs after Parley made the channel. */
export function addChannelForm({ notices, onAdded }) {
  const platform = h('select', { required: true }, h('option', { value: '' }, 'Loading…'));
  const externalId = h('input', { type: 'text', required: true, autocomplete: 'off', spellcheck: 'false' });
  const name = h('input', { type: 'text', autocomplete: 'off', maxlength: '200' });
  const own = h('div', { class: 'platform-options' });
  const submit = h('button', { type: 'submit' }, 'Add channel');
  let platforms = [];

  const showOptions = () => {
    const chosen = platforms.find((p) => p.name === platform.value);
    const options = chosen?.channelOptions ?? [];
    replace(
      own,
      options.length === 0
        ? null
        : h(
            'fieldset',
            {},
            h('legend', {}, `${chosen.label} settings (optional)`),
            options.map((o) => field(optionLabel(o), settingInput(o.key), { hint: `${capitalized(o.description)}.${o.secret ? ' Kept secret: listings show it masked.' : ''}`, field: `body.settings.${o.key}` })),
          ),
    );
  };
  platform.addEventListener('change', showOptions);

  const form = h(
    'form',
    { class: 'add-channel' },
    field('Platform', platform, { field: 'body.platform' }),
    field('Channel id', externalId, { field: 'body.externalId', hint: "The platform's own id of the channel, as in parley channels add PLATFORM:ID (e.g. -1001234 for a Telegram group)." }),
    field('Name', name, { field: 'body.name', hint: 'Optional: how the admin page and the CLI show it.' }),
    own,
    h('fieldset', {}, h('legend', {}, 'Channel settings (optional)'), CORE_SETTINGS.map((c) => field(c.label, settingInput(c.key), { hint: c.hint, field: `body.settings.${c.key}` }))),
    h('div', { class: 'actions' }, submit),
  );

  void listPlatforms().then(
    (list) => {
      platforms = list;
      // The configured ones first: a channel on a platform Parley does not run receives nothing.
      const ordered = [...list.filter((p) => p.configured), ...list.filter((p) => !p.configured)];
      replace(platform, ordered.map((p) => h('option', { value: p.name }, p.configured ? p.label : `${p.label} (not configured)`)));
      showOptions();
    },
    (error) => {
      replace(platform, h('option', { value: '' }, 'Platforms not known'));
      notices.error(error);
    },
  );

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    const settings = Object.fromEntries([...form.querySelectorAll('[data-setting]')].filter((input) => input.value.trim() !== '').map((input) => [input.dataset.setting, input.value.trim()]));
    const request = {
      platform: platform.value,
      externalId: externalId.value.trim(),
      ...(name.value.trim() ? { name: name.value.trim() } : {}),
      ...(Object.keys(settings).length > 0 ? { settings } : {}),
    };
    void busy(submit, async () => {
      try {
        const channel = await api.post('channels', request);
        notices.status(`Added ${channelName(channel)} (${channel.channel}): it is ${channel.status}.`);
        form.reset();
        platform.value = request.platform;
        showOptions();
        await onAdded(channel);
      } catch (error) {
        notices.error(error, form);
      }
    });
  });
  return form;
}
