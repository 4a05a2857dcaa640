// The admin page's shell: the login screen, then a header, the sections' navigation and the section the hash names
// (#/overview, #/rules?channel=3). Each section is a module whose render(ctx) fills ctx.body and may return a
// function that stops what it started (a refresh timer).
import { logIn, logOut, onSessionEnd, readSession } from './api.js';
import { forgetCatalog } from './catalog.js';
import { h, replace } from './dom.js';
import { createNotices } from './notices.js';
import { busy, field, setBackgroundRegions } from './widgets.js';
import * as overview from './overview.js';
import * as platforms from './platforms.js';
import * as channels from './channels.js';
import * as rules from './rules.js';
import * as identities from './identities.js';
import * as transcripts from './transcripts.js';
import * as deliveries from './deliveries.js';

const SECTIONS = [
  { path: 'overview', title: 'Overview', module: overview },
  { path: 'platforms', title: 'Platforms and sources', module: platforms },
  { path: 'channels', title: 'Channels', module: channels },
  { path: 'rules', title: 'Rules', module: rules },
  { path: 'identities', title: 'Identities', module: identities },
  { path: 'transcripts', title: 'Transcripts', module: transcripts },
  { path: 'deliveries', title: 'Deliveries', module: deliveries },
];

const root = document.getElementById('app');
/** The logged-in page's parts; null on the login screen. */
let shell = null;
/** Stops the shown section's timers. */
let leave = null;
/** Which rendering is current: answers that arrive for a section the admin has left are dropped. */
let rendering = 0;

function hashRoute() {
  const [path = '', query = ''] = window.location.hash.replace(/^#\/?/u, '').split('?', 2);
  return { path, params: new URLSearchParams(query) };
}

function stopSection() {
  leave?.();
  leave = null;
  rendering++;
}

function showLogin(message, kind = 'alert') {
  stopSection();
  shell = null;
  setBackgroundRegions([]);
  for (const dialog of document.querySelectorAll('dialog')) dialog.remove();
  const notices = createNotices();
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const button = h('button', { type: 'submit' }, 'Log in');
  const submit = (event) => {
    event.preventDefault();
    void busy(button, async () => {
      notices.clear();
      try {
        await logIn(password.value);
        showShell();
      } catch (error) {
        notices.alert(error.message);
      }
    });
  };
  replace(
    root,
    h(
      'main',
      { id: 'main', class: 'login' },
      h('h1', {}, 'Parley admin'),
      h('p', {}, 'Log in with the admin password (PARLEY_ADMIN_PASSWORD).'),
      h('form', { on: { submit } }, field('Password', password), button),
      notices.elements,
    ),
  );
  document.title = 'Log in · Parley admin';
  if (message) notices[kind](message);
  password.focus();
}

function showShell() {
  const notices = createNotices();
  setBackgroundRegions(notices.elements);
  const heading = h('h1', { tabindex: '-1' });
  const body = h('div');
  const links = SECTIONS.map((section) => h('a', { href: `#/${section.path}` }, section.title));
  const logout = h('button', { type: 'button', class: 'secondary' }, 'Log out');
  logout.addEventListener('click', () =>
    void busy(logout, async () => {
      try {
        await logOut();
      } catch (error) {
        notices.error(error);
        return;
      }
      forgetCatalog();
      showLogin('You are logged out.', 'status');
    }),
  );
  // Not a plain #main link: the hash is the router's.
  const skip = h('a', { href: '#main', class: 'skip-link' }, 'Skip to content');
  skip.addEventListener('click', (event) => {
    event.preventDefault();
    heading.focus();
  });
  replace(
    root,
    skip,
    h('header', { class: 'top' }, h('p', { class: 'brand' }, 'Parley admin'), logout),
    h('nav', { 'aria-label': 'Sections' }, h('ul', {}, links.map((link) => h('li', {}, link)))),
    h('main', { id: 'main' }, heading, notices.elements, body),
  );
  shell = { heading, body, notices, links };
  route();
}

function route() {
  if (!shell) return;
  const { path, params } = hashRoute();
  const section = SECTIONS.find((s) => s.path === path);
  if (!section) {
    window.history.replaceState(null, '', '#/overview');
    route();
    return;
  }
  stopSection();
  // A dialog belongs to the section that opened it: Back (or a link) while it is open closes it.
  for (const dialog of document.querySelectorAll('dialog[open]')) dialog.close();
  const mine = rendering;
  const current = () => mine === rendering && shell !== null;
  const { notices } = shell;
  // A late answer of a section left behind must not speak in the next one.
  const guarded = (say) => (...args) => current() && say(...args);

  shell.notices.clear();
  shell.heading.textContent = section.title;
  document.title = `${section.title} · Parley admin`;
  for (const link of shell.links) {
    if (link.getAttribute('href') === `#/${section.path}`) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const body = h('div', { class: `section section-${section.path}` });
  shell.body.replaceWith(body);
  shell.body = body;
  leave =
    section.module.render({
      body,
      params,
      current,
      notices: { status: guarded(notices.status), alert: guarded(notices.alert), clear: guarded(notices.clear), error: guarded(notices.error) },
      /** Changes the hash's query without rendering again (the rules' channel select). */
      setParams(next) {
        const query = next.toString();
        window.history.replaceState(null, '', `#/${section.path}${query ? `?${query}` : ''}`);
      },
    }) ?? null;
  // Where a screen reader and the keyboard continue from: the new section's heading.
  shell.heading.focus();
}

window.addEventListener('hashchange', route);
onSessionEnd(() => {
  if (shell) showLogin('Your session has ended: log in again.');
});

try {
  await readSession();
  showShell();
} catch (error) {
  showLogin(error.status === 401 ? null : error.message);
}
