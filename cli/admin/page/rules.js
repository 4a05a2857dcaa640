// Rules (#/rules?channel=ID): a channel's rules in precedence order, numbered per source as /discourse status and
// /gitlab status number them; add, edit and remove them, with the scope suggested from the sources' pickers.
import { api, path } from './api.js';
import { labelIn, listSources } from './catalog.js';
import { h, replace, uid } from './dom.js';
import { clearFieldErrors, createNotices } from './notices.js';
import { scopeSuggestions } from './scope-suggestions.js';
import { busy, closeButton, field, openDialog, select } from './widgets.js';
import { channelName } from './channel-dialogs.js';

/** The API's filters, with what each delivers (docs/rules.md). */
const FILTERS = [
  ['watch', 'watch: every post'],
  ['follow', 'follow: first posts only'],
  ['thread', 'thread: every post, replies threaded'],
  ['mute', 'mute: nothing'],
];
const SOURCE_ORDER = ['discourse', 'gitlab'];
const COLUMNS = ['#', 'Source', 'Filter', 'Scope', 'Added by', 'Actions'];

/** A Scope field with its datalist and a note for pickers that could not answer. */
function scopeField({ sourceOf, project, value = '', several = true }) {
  const datalist = h('datalist', { id: uid('scopes') });
  const note = h('p', { id: uid('note'), class: 'hint' });
  const input = h('input', { type: 'text', list: datalist.id, required: true, autocomplete: 'off', spellcheck: 'false', value, 'aria-describedby': note.id });
  const refresh = scopeSuggestions({ input, datalist, note, sourceOf, project });
  return { input, refresh, element: h('div', {}, field('Scope', input, { field: several ? 'body.scopes' : 'body.scope', hint: `all, c/CATEGORY, t/TAG; for GitLab p/GROUP/PROJECT, g/GROUP, l/LABEL.${several ? ' Several at once: separated by spaces.' : ''}` }), datalist, note) };
}

const scopesOf = (text) => text.split(/[\s,]+/u).filter(Boolean);

export function render({ body, notices, current, params, setParams }) {
  const channelSelect = h('select', {}, h('option', { value: '' }, 'Loading…'));
  const heading = h('h2', { tabindex: '-1' }, 'Rules');
  const tableBox = h('div', {}, h('p', {}, 'Choose a channel to see its rules.'));
  let channel = null;
  let rules = [];
  let sources = [];
  let refreshForm = () => {};

  const sourceLabel = (name) => labelIn(sources, name);
  /** A GitLab project of the channel's rules, whose labels the Scope field offers. */
  const project = () => rules.find((r) => r.source === 'gitlab' && r.scope.startsWith('p/'))?.scope.slice(2) ?? null;
  const editOf = (ruleId) => body.querySelector(`tr[data-rule-id="${ruleId}"] button`);

  function ruleRow(rule) {
    const edit = h('button', { type: 'button', class: 'secondary', on: { click: () => editDialog(rule) } }, 'Edit');
    const remove = h('button', { type: 'button', class: 'danger' }, 'Remove');
    remove.addEventListener('click', () => void busy(remove, () => removeRule(rule)));
    return h(
      'tr',
      { dataset: { ruleId: String(rule.id) } },
      h('td', {}, String(rule.number)),
      h('td', {}, rule.source),
      h('td', {}, rule.filter),
      h('td', {}, h('code', {}, rule.scope)),
      h('td', {}, rule.createdBy ?? ''),
      h('td', {}, h('div', { class: 'actions' }, edit, remove)),
    );
  }

  function drawTable() {
    const bySource = SOURCE_ORDER.map((source) => rules.filter((r) => r.source === source)).filter((group) => group.length > 0);
    const grouped = bySource.length > 1;
    const bodies =
      rules.length === 0
        ? [h('tbody', {}, h('tr', {}, h('td', { colspan: COLUMNS.length, class: 'empty' }, `${channelName(channel)} has no rules: nothing is delivered there. Add one below.`)))]
        : bySource.map((group) => h('tbody', {}, grouped ? h('tr', { class: 'group' }, h('th', { scope: 'rowgroup', colspan: COLUMNS.length }, `${sourceLabel(group[0].source)} rules`)) : null, group.map(ruleRow)));
    replace(
      tableBox,
      h(
        'div',
        { class: 'table-scroll', tabindex: '0', role: 'group', 'aria-label': 'Rules (table)' },
        h('table', { class: 'wide' }, h('caption', { class: 'visually-hidden' }, 'Rules'), h('thead', {}, h('tr', {}, COLUMNS.map((c) => h('th', { scope: 'col' }, c)))), bodies),
      ),
      h('p', { class: 'hint' }, 'In precedence order: mute beats thread, thread beats watch, watch beats follow; numbered per source as /discourse status and /gitlab status number them.'),
    );
  }

  async function loadRules() {
    if (!channel) return;
    try {
      const answer = await api.get(path`channels/${channel.id}/rules`);
      if (!current()) return;
      rules = answer;
      heading.textContent = `Rules of ${channelName(channel)}`;
      drawTable();
    } catch (error) {
      notices.error(error);
    }
  }

  async function removeRule(rule) {
    try {
      await api.del(path`channels/${channel.id}/rules/${rule.number}`, { source: rule.source });
      notices.status(`Removed ${sourceLabel(rule.source)} rule ${rule.number}: ${rule.filter} ${rule.scope}.`);
      await loadRules();
      heading.focus();
    } catch (error) {
      notices.error(error);
      await loadRules();
    }
  }

  function editDialog(rule) {
    const local = createNotices('in-dialog');
    const filter = select(FILTERS);
    filter.value = rule.filter;
    const scope = scopeField({ sourceOf: () => rule.source, project, value: rule.scope, several: false });
    const save = h('button', { type: 'submit' }, 'Save');
    const form = h('form', {}, field('Filter', filter, { field: 'body.filter' }), scope.element, h('div', { class: 'actions' }, save));
    let editedId = rule.id;
    const dialog = openDialog({ title: `Edit ${sourceLabel(rule.source)} rule ${rule.number}`, content: [form, local.elements], returnFocus: () => editOf(editedId) });
    form.lastChild.append(closeButton(dialog));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      clearFieldErrors(form);
      void busy(save, async () => {
        try {
          const answer = await api.patch(path`channels/${channel.id}/rules/${rule.number}`, { filter: filter.value, scope: scope.input.value.trim() }, { source: rule.source });
          const now = answer.added?.[0];
          editedId = now?.id ?? rule.id;
          const said = now ? `${sourceLabel(rule.source)} rule ${now.number} is now: ${now.filter} ${now.scope}.` : answer.removed?.length > 0 ? `Rule ${rule.number} is gone: the channel had that rule already.` : `Rule ${rule.number} is unchanged.`;
          notices.status([said, ...(answer.warnings ?? [])].join(' '));
          await loadRules();
          dialog.close();
        } catch (error) {
          local.error(error, form);
        }
      });
    });
  }

  // The add form.
  const sourceSelect = select(SOURCE_ORDER.map((name) => [name, name]));
  const filterSelect = select(FILTERS);
  const scope = scopeField({ sourceOf: () => sourceSelect.value, project });
  const add = h('button', { type: 'submit' }, 'Add rule');
  const form = h('form', { class: 'add-rule' }, field('Source', sourceSelect, { field: 'body.source' }), field('Filter', filterSelect, { field: 'body.filter' }), scope.element, h('div', { class: 'actions' }, add));
  refreshForm = scope.refresh;
  sourceSelect.addEventListener('change', () => void refreshForm());
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    if (!channel) {
      notices.alert('Choose a channel first.');
      channelSelect.focus();
      return;
    }
    void busy(add, async () => {
      try {
        const answer = await api.post(path`channels/${channel.id}/rules`, { source: sourceSelect.value, filter: filterSelect.value, scopes: scopesOf(scope.input.value) });
        const said = [
          answer.added.length > 0 ? `Added ${answer.added.map((r) => `rule ${r.number} (${r.filter} ${r.scope})`).join(', ')}.` : null,
          answer.existing.length > 0 ? `Already there: ${answer.existing.map((r) => `rule ${r.number} (${r.filter} ${r.scope})`).join(', ')}.` : null,
          ...answer.warnings,
        ];
        notices.status(said.filter(Boolean).join(' '));
        scope.input.value = '';
        await loadRules();
      } catch (error) {
        notices.error(error, form);
      }
    });
  });

  channelSelect.addEventListener('change', () => {
    const id = channelSelect.value;
    setParams(new URLSearchParams(id ? { channel: id } : {}));
    channel = channels.find((c) => String(c.id) === id) ?? null;
    notices.clear();
    if (channel) void loadRules();
    else {
      heading.textContent = 'Rules';
      replace(tableBox, h('p', {}, 'Choose a channel to see its rules.'));
    }
  });

  let channels = [];
  // The channel the address names, at once: its rules load while the list of channels does.
  const wanted = Number(params.get('channel'));
  if (Number.isInteger(wanted) && wanted > 0) {
    channel = { id: wanted, name: '', channel: `channel ${wanted}` };
    void loadRules();
  }
  replace(
    body,
    field('Channel', channelSelect),
    h('section', { class: 'block' }, heading, tableBox),
    h('section', { class: 'block' }, h('h2', {}, 'Add a rule'), form),
  );

  void listSources().then(
    (list) => {
      sources = list;
      // Configured sources first, with their labels; the API knows both either way.
      const ordered = [...SOURCE_ORDER].sort((a, b) => Number(!list.find((s) => s.name === a)?.configured) - Number(!list.find((s) => s.name === b)?.configured));
      const chosen = sourceSelect.value;
      replace(sourceSelect, ordered.map((name) => h('option', { value: name }, `${sourceLabel(name)}${list.find((s) => s.name === name)?.configured ? '' : ' (not configured)'}`)));
      sourceSelect.value = ordered.includes(chosen) && list.find((s) => s.name === chosen)?.configured ? chosen : ordered[0];
      if (rules.length > 0) drawTable();
      void refreshForm();
    },
    () => undefined, // names instead of labels
  );

  void api.get('channels').then(
    (list) => {
      if (!current()) return;
      channels = list;
      const wanted = params.get('channel') ?? '';
      replace(
        channelSelect,
        h('option', { value: '' }, list.length === 0 ? 'No channels yet' : 'Choose a channel'),
        list.map((c) => h('option', { value: String(c.id) }, `${channelName(c)} (${c.channel}${c.status === 'active' ? '' : `, ${c.status}`})`)),
      );
      const found = list.find((c) => String(c.id) === wanted) ?? null;
      channelSelect.value = found ? wanted : '';
      if (found) {
        channel = found;
        heading.textContent = `Rules of ${channelName(channel)}`;
      } else if (wanted) {
        channel = null;
        replace(tableBox, h('p', {}, 'Choose a channel to see its rules.'));
        notices.alert(`There is no channel ${wanted}: choose one.`);
      }
    },
    (error) => notices.error(error),
  );
}
