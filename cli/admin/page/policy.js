// The transcript policy (part of #/identities): which forum groups' members may make transcripts with /topic.
// GET /api/transcript-policy; PUT sets the admin's list, DELETE goes back to PARLEY_TRANSCRIPT_GROUPS.
import { api } from './api.js';
import { h, replace } from './dom.js';
import { clearFieldErrors } from './notices.js';
import { busy, field } from './widgets.js';

const groupsText = (groups) => (groups.length === 0 ? 'forum admins only' : groups.join(', '));

export function policySection({ notices, current }) {
  const now = h('div', {}, h('p', {}, 'Loading…'));
  const groups = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false' });
  const save = h('button', { type: 'submit' }, 'Save policy');
  const reset = h('button', { type: 'button', class: 'secondary' }, 'Use PARLEY_TRANSCRIPT_GROUPS');
  const form = h(
    'form',
    { class: 'policy' },
    field('Allowed groups', groups, { field: 'body.groups', hint: 'Forum group names, comma separated. Empty: forum admins only.' }),
    h('div', { class: 'actions' }, save, reset),
  );

  function show(policy) {
    const anyGroup = policy.groups.length > 0;
    replace(
      now,
      h('p', {}, anyGroup ? 'Members of these forum groups, and forum admins, may make transcripts (/topic):' : 'Only forum admins may make transcripts (/topic): no group is allowed.'),
      anyGroup ? h('ul', { class: 'groups' }, policy.groups.map((g) => h('li', {}, g))) : null,
      h('p', { class: 'hint' }, policy.from === 'admin' ? `Set here; PARLEY_TRANSCRIPT_GROUPS says: ${groupsText(policy.environmentGroups ?? [])}.` : 'From PARLEY_TRANSCRIPT_GROUPS (the environment).'),
    );
    groups.value = policy.groups.join(', ');
    reset.hidden = policy.from !== 'admin';
  }

  async function load() {
    try {
      const policy = await api.get('transcript-policy');
      if (current()) show(policy);
    } catch (error) {
      if (current()) replace(now, h('p', {}, `Not shown: ${error.message}`));
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    const list = groups.value.split(',').map((g) => g.trim()).filter(Boolean);
    void busy(save, async () => {
      try {
        const policy = await api.put('transcript-policy', { groups: list });
        notices.status(`Saved: transcripts by ${groupsText(policy.groups ?? list)}${list.length > 0 ? ' and forum admins' : ''}.`);
        if (policy.groups) show(policy);
        else await load();
      } catch (error) {
        notices.error(error, form);
      }
    });
  });
  reset.addEventListener('click', () =>
    void busy(reset, async () => {
      try {
        const policy = await api.del('transcript-policy');
        notices.status('The policy is PARLEY_TRANSCRIPT_GROUPS again.');
        if (policy?.groups) show(policy);
        else await load();
        groups.focus();
      } catch (error) {
        notices.error(error);
      }
    }),
  );

  void load();
  return h('section', { class: 'block' }, h('h2', {}, 'Transcript policy'), now, form);
}
