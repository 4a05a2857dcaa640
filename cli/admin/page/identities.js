// Identities (#/identities): chat users linked to forum or GitLab users (GET/POST /api/identities, DELETE
// /api/identities/PLATFORM/USER_ID), and the transcript policy (./policy.js).
import { api, path } from './api.js';
import { labelIn, listPlatforms, listSources } from './catalog.js';
import { h, replace } from './dom.js';
import { time } from './format.js';
import { clearFieldErrors } from './notices.js';
import { policySection } from './policy.js';
import { busy, dataTable, field, select } from './widgets.js';

const SOURCES = ['discourse', 'gitlab'];

export function render({ body, notices, current }) {
  const heading = h('h2', { tabindex: '-1' }, 'Linked users');
  const tableBox = h('div', {}, h('p', {}, 'Loading…'));
  let platforms = [];
  let sources = [];
  const sourceLabel = (name) => labelIn(sources, name);

  async function unlink(identity, button) {
    await busy(button, async () => {
      try {
        await api.del(path`identities/${identity.platform}/${identity.userId}`, { source: identity.source });
        notices.status(`Unlinked ${identity.user} from ${sourceLabel(identity.source)} user ${identity.username}.`);
        await load();
        heading.focus();
      } catch (error) {
        notices.error(error);
      }
    });
  }

  async function load() {
    let identities;
    try {
      identities = await api.get('identities');
    } catch (error) {
      notices.error(error);
      return;
    }
    if (!current()) return;
    replace(
      tableBox,
      dataTable({
        caption: 'Identities',
        captionHidden: true,
        columns: ['Chat user', 'Platform', 'Source', 'Username', 'Linked by', 'Since', 'Actions'],
        rowHeader: true,
        className: 'wide',
        empty: 'No chat user is linked yet.',
        rows: identities.map((identity) => {
          const button = h('button', { type: 'button', class: 'danger' }, 'Unlink');
          button.addEventListener('click', () => void unlink(identity, button));
          return [h('code', {}, identity.user), labelIn(platforms, identity.platform), sourceLabel(identity.source), identity.username, identity.createdBy ?? '', time(identity.createdAt), button];
        }),
      }),
    );
  }

  // The form to link one.
  const platform = h('select', { required: true }, h('option', { value: '' }, 'Loading…'));
  const userId = h('input', { type: 'text', required: true, autocomplete: 'off', spellcheck: 'false' });
  const source = select(SOURCES.map((name) => [name, name]));
  const username = h('input', { type: 'text', required: true, autocomplete: 'off', spellcheck: 'false' });
  const link = h('button', { type: 'submit' }, 'Link');
  const form = h(
    'form',
    { class: 'link-identity' },
    field('Platform', platform, { field: 'body.platform' }),
    field('User id', userId, { field: 'body.userId', hint: "The platform's own user id, not the @name." }),
    field('Source', source, { field: 'body.source' }),
    field('Username', username, { field: 'body.username', hint: 'The username on the forum (or GitLab), as on their profile.' }),
    h('div', { class: 'actions' }, link),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    void busy(link, async () => {
      try {
        const answer = await api.post('identities', { platform: platform.value, userId: userId.value.trim(), source: source.value, username: username.value.trim() });
        const who = `${answer.identity.user} and ${sourceLabel(answer.identity.source)} user ${answer.identity.username}`;
        notices.status(answer.change === 'created' ? `Linked ${who}.` : answer.change === 'replaced' ? `Linked ${who}, replacing ${answer.was}.` : `${who} were linked already.`);
        userId.value = '';
        username.value = '';
        await load();
      } catch (error) {
        notices.error(error, form);
      }
    });
  });

  replace(
    body,
    h('section', { class: 'block' }, heading, h('p', { class: 'hint' }, 'A chat user linked to a forum or GitLab user makes transcripts (/topic) as that user.'), tableBox),
    h('section', { class: 'block' }, h('h2', {}, 'Link a chat user'), form),
    policySection({ notices, current }),
  );

  void Promise.allSettled([listPlatforms(), listSources()]).then(([p, s]) => {
    if (!current()) return;
    platforms = p.status === 'fulfilled' ? p.value : [];
    sources = s.status === 'fulfilled' ? s.value : [];
    replace(platform, platforms.length === 0 ? h('option', { value: '' }, 'Platforms not known') : platforms.map((entry) => h('option', { value: entry.name }, entry.label)));
    const configured = platforms.find((entry) => entry.configured);
    if (configured) platform.value = configured.name;
    replace(source, SOURCES.map((name) => h('option', { value: name }, sourceLabel(name))));
    void load();
  });
}
