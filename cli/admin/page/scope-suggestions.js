// Suggestions for a rule's Scope field, from the sources' pickers: the forum's categories (c/PATH) and tags
// (t/NAME); GitLab's projects (p/PATH, searched as the admin types) and labels (l/NAME); `all` always. A picker that
// cannot answer (source not configured, not reachable, or not in this Parley) leaves a quiet note, never an alert:
// the scope can still be typed.
import { api } from './api.js';
import { h, replace } from './dom.js';

const SEARCH_DELAY_MS = 300;
/** The source's lists, asked once per page load: categories and tags change seldom. */
const lists = new Map();

function once(key, load) {
  if (!lists.has(key)) {
    const promise = load();
    lists.set(key, promise);
    promise.catch(() => lists.delete(key));
  }
  return lists.get(key);
}

const PICKERS = {
  discourse: [
    { what: 'categories', load: () => once('categories', () => api.get('sources/discourse/categories')), options: (list) => list.map((c) => [`c/${c.path}`, `${c.name}${c.readRestricted ? ' (restricted)' : ''}`]) },
    { what: 'tags', load: () => once('tags', () => api.get('sources/discourse/tags')), options: (list) => list.map((t) => [`t/${t.name}`, `tag, ${t.count} topics`]) },
  ],
  gitlab: [
    {
      // Labels belong to a project: those of the channel's first GitLab project rule, when it has one.
      what: 'labels',
      load: async (project) => (project ? once(`labels:${project}`, () => api.get('sources/gitlab/labels', { project })) : []),
      options: (list) => list.map((l) => [`l/${l.name}`, 'label']),
    },
  ],
};

/**
 * Fills `datalist` for the source `sourceOf()` names; `project()` is a GitLab project whose labels to offer.
 * Answers refresh(), to call when the source changes.
 */
export function scopeSuggestions({ input, datalist, note, sourceOf, project = () => null }) {
  let fixed = [];
  let searched = [];
  let timer = null;
  let asked = 0;

  const show = () => {
    const seen = new Set();
    const options = [['all', 'everything of this source'], ...fixed, ...searched].filter(([value]) => !seen.has(value) && seen.add(value));
    replace(datalist, options.map(([value, label]) => h('option', { value, label })));
  };

  async function refresh() {
    const source = sourceOf();
    const mine = ++asked;
    fixed = [];
    searched = [];
    show();
    const problems = [];
    await Promise.all(
      (PICKERS[source] ?? []).map(async (picker) => {
        try {
          const list = await picker.load(project());
          if (mine === asked) fixed.push(...picker.options(list));
        } catch (error) {
          if (!error.sessionEnded) problems.push(`${picker.what}: ${error.message}`);
        }
      }),
    );
    if (mine !== asked) return;
    show();
    note.textContent = problems.length > 0 ? `No suggestions of ${problems.join(' ')}` : '';
  }

  // GitLab projects are too many to list: ask GitLab's project search with what is typed.
  input.addEventListener('input', () => {
    if (sourceOf() !== 'gitlab') return;
    clearTimeout(timer);
    const typed = input.value.trim().replace(/^p\//u, '');
    if (typed.length < 2 || /^(l|g)\//u.test(typed) || typed === 'all') return;
    timer = setTimeout(async () => {
      try {
        const projects = await api.get('sources/gitlab/projects', { search: typed });
        searched = projects.map((p) => [`p/${p.path}`, 'project']);
        show();
      } catch (error) {
        if (!error.sessionEnded) note.textContent = `No project suggestions: ${error.message}`;
      }
    }, SEARCH_DELAY_MS);
  });

  void refresh();
  return refresh;
}
