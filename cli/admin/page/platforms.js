// Platforms and sources (#/platforms): per platform and source a card: configured, connected, which variables are
// set (never their values), its setup steps (pages to open, Parley's URLs to copy) and files to download. All of it
// comes from GET /api/platforms and /api/sources, which read each platform's own folder: nothing here is about one
// platform. Unconfigured ones wait folded under a <details>, so the page stays short.
import { getFile, siteUrl } from './api.js';
import { listPlatforms, listSources } from './catalog.js';
import { externalLink, h, replace, uid, withCode } from './dom.js';
import { copyField, dataTable } from './widgets.js';

const badge = (text, ok) => h('span', { class: ['badge', ok === true ? 'ok' : ok === false ? 'bad' : 'neutral'] }, text);

function connection(entry) {
  if (!entry.configured) return null;
  if (!entry.connected) return [badge('Connection not checked', null)];
  return [badge(entry.connected.ok ? 'Connected' : 'Not connected', entry.connected.ok), entry.connected.detail ? h('span', { class: 'detail' }, ` ${entry.connected.detail}`) : null];
}

function variables(entry) {
  if (entry.variables.length === 0) return null;
  return [
    h('h4', {}, 'Variables'),
    dataTable({
      caption: `Variables of ${entry.label}`,
      captionHidden: true,
      columns: ['Variable', 'Set', 'Meaning'],
      rowHeader: true,
      rows: entry.variables.map((v) => [h('code', {}, v.name), badge(v.set ? 'Set' : 'Not set', v.set ? true : null), v.meaning]),
    }),
  ];
}

function hostOf(url) {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

function steps(entry, notices) {
  if (!entry.setup || entry.setup.steps.length === 0) return null;
  return [
    h('h4', {}, 'Setup steps'),
    h(
      'ol',
      { class: 'steps' },
      entry.setup.steps.map((step) =>
        h('li', {}, h('p', {}, withCode(step.text)), step.url ? h('p', {}, externalLink(step.url, `Open ${hostOf(step.url)}`)) : null, step.copy ? copyField(step.copy.label, step.copy.value, notices) : null),
      ),
    ),
  ];
}

/** Saves a file the API makes (Slack's manifest) through fetch, so that a refusal shows its message, not a file of JSON. */
async function download(item, notices) {
  try {
    const blob = await getFile(item.path);
    const url = URL.createObjectURL(blob);
    const link = h('a', { href: url, download: item.file ?? '', hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    notices.status(`Downloaded ${item.file ?? item.label}.`);
  } catch (error) {
    notices.error(error);
  }
}

function saveFile(event, item, notices) {
  event.preventDefault();
  void download(item, notices);
}

function downloads(entry, notices) {
  if (!entry.downloads || entry.downloads.length === 0) return null;
  return [
    h('h4', {}, 'Downloads'),
    h(
      'ul',
      { class: 'downloads' },
      entry.downloads.map((item) =>
        h(
          'li',
          {},
          h('a', { href: siteUrl(item.path), download: item.file ?? '', on: { click: (event) => saveFile(event, item, notices) } }, item.label),
          h('span', { class: 'hint' }, ` (also: parley ${entry.name} ${item.command})`),
        ),
      ),
    ),
  ];
}

function card(entry, notices) {
  const headingId = uid('card');
  return h(
    'article',
    { class: 'card', 'aria-labelledby': headingId },
    h('h3', { id: headingId }, entry.label),
    h('p', { class: 'badges' }, badge(entry.configured ? 'Configured' : 'Not configured', entry.configured ? true : null), ' ', connection(entry)),
    // The one-paragraph summary the CLI prints, where there are no steps to follow instead.
    !entry.setup && entry.howToConfigure ? h('p', {}, withCode(entry.howToConfigure)) : null,
    variables(entry),
    steps(entry, notices),
    downloads(entry, notices),
  );
}

function cards(list, noun, notices) {
  const configured = list.filter((entry) => entry.configured);
  const rest = list.filter((entry) => !entry.configured);
  return [
    configured.length > 0 ? configured.map((entry) => card(entry, notices)) : h('p', {}, `No ${noun} is configured yet: open one below and follow its steps.`),
    rest.length > 0
      ? h('details', { class: 'unconfigured' }, h('summary', {}, `Not configured (${rest.length}): ${rest.map((entry) => entry.label).join(', ')}`), rest.map((entry) => card(entry, notices)))
      : null,
  ];
}

export function render({ body, notices, current }) {
  const platformsBox = h('div', {}, h('p', {}, 'Loading…'));
  const sourcesBox = h('div', {}, h('p', {}, 'Loading…'));
  replace(
    body,
    h('p', { class: 'hint' }, 'Variables are set in the environment (or the configuration file) and take effect when Parley restarts. Their values are never shown here.'),
    h('section', { class: 'block' }, h('h2', {}, 'Platforms'), platformsBox),
    h('section', { class: 'block' }, h('h2', {}, 'Sources'), sourcesBox),
  );
  const fill = async (box, list, noun) => {
    try {
      const entries = await list;
      if (current()) replace(box, cards(entries, noun, notices));
    } catch (error) {
      if (current()) replace(box, h('p', {}, `Not shown: ${error.message}`));
      notices.error(error);
    }
  };
  void fill(platformsBox, listPlatforms(true), 'platform');
  void fill(sourcesBox, listSources(true), 'source');
}
