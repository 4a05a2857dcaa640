// The page's shared pieces: labelled fields, tables that scroll sideways on a phone, modal dialogs that give focus
// back, a value to copy, and paging.
import { h, uid } from './dom.js';

/** A label, its control and an optional hint the control is described by. `field` is the API's name for it. */
export function field(labelText, control, { hint, field: apiField, className } = {}) {
  control.id ||= uid('field');
  if (apiField) control.dataset.field = apiField;
  const parts = [h('label', { for: control.id }, labelText), control];
  if (hint) {
    const hintId = uid('hint');
    control.setAttribute('aria-describedby', [control.getAttribute('aria-describedby'), hintId].filter(Boolean).join(' '));
    parts.push(h('p', { id: hintId, class: 'hint' }, hint));
  }
  return h('div', { class: ['field', className] }, ...parts);
}

/** A <select> of [value, text] pairs. */
export function select(options, props = {}) {
  return h('select', props, options.map(([value, text]) => h('option', { value }, text)));
}

/**
 * A table in a focusable wrapper that scrolls sideways on narrow screens. rows: arrays of cells (text or nodes);
 * with rowHeader, the first cell of each row is its header. captionHidden: an h2 above says the same.
 */
export function dataTable({ caption, columns, rows, empty = 'None.', rowHeader = false, captionHidden = false, className }) {
  const body = h('tbody');
  fillRows(body, columns.length, rows, { empty, rowHeader });
  const table = h(
    'table',
    { class: className },
    h('caption', { class: captionHidden ? 'visually-hidden' : null }, caption),
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c)))),
    body,
  );
  return h('div', { class: 'table-scroll', tabindex: '0', role: 'group', 'aria-label': `${caption} (table)` }, table);
}

/** Rows into a tbody: a row is an array of cells, or a ready <tr>. */
export function fillRows(body, width, rows, { empty = 'None.', rowHeader = false } = {}) {
  body.replaceChildren();
  if (rows.length === 0) body.append(h('tr', {}, h('td', { colspan: width, class: 'empty' }, empty)));
  for (const row of rows) {
    if (row instanceof Node) {
      body.append(row);
      continue;
    }
    body.append(h('tr', {}, row.map((cell, i) => (rowHeader && i === 0 ? h('th', { scope: 'row' }, cell) : h('td', {}, cell)))));
  }
}

// While a dialog is open, the page's own live regions are hidden from assistive technology (and from queries by
// role), so that the dialog's status and alert are the only ones.
let backgroundRegions = [];
export function setBackgroundRegions(elements) {
  backgroundRegions = elements;
}

/**
 * A modal <dialog>: focus moves into it (to the element with autofocus, else the first control), Escape closes it,
 * and focus goes back to what opened it (or what returnFocus() names, else the section's heading).
 */
export function openDialog({ title, content, onClose, className, returnFocus }) {
  const opener = document.activeElement;
  const titleId = uid('dialog-title');
  const dialog = h('dialog', { 'aria-labelledby': titleId, class: ['dialog', className] }, h('h2', { id: titleId }, title), content);
  (document.querySelector('main') ?? document.body).append(dialog);
  for (const region of backgroundRegions) region.setAttribute('aria-hidden', 'true');
  dialog.addEventListener('close', () => {
    for (const region of backgroundRegions) region.removeAttribute('aria-hidden');
    dialog.remove();
    onClose?.();
    // The opener may have been drawn again meanwhile (a table reloaded): returnFocus finds its successor.
    const successor = returnFocus?.();
    const back = successor ?? (opener instanceof HTMLElement && opener.isConnected ? opener : document.querySelector('main h1'));
    back?.focus();
  });
  dialog.showModal();
  return dialog;
}

/** A button that closes its dialog. */
export const closeButton = (dialog, text = 'Cancel') => h('button', { type: 'button', class: 'secondary', on: { click: () => dialog.close() } }, text);

/** A value to paste elsewhere: read-only, with a Copy button (selects the text where the clipboard is refused). */
export function copyField(label, value, notices) {
  const input = h('input', { type: 'text', readonly: true, value, spellcheck: 'false', class: 'copy-value' });
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      notices.status(`Copied the ${label}.`);
    } catch {
      // No clipboard (plain http away from localhost, or refused): select it for Ctrl+C.
      input.focus();
      input.select();
      notices.status(`Selected the ${label}: press Ctrl+C (⌘C on a Mac) to copy it.`);
    }
  };
  const button = h('button', { type: 'button', class: 'secondary', on: { click: () => void copy() } }, 'Copy', h('span', { class: 'visually-hidden' }, ` ${label}`));
  return h('div', { class: 'copy' }, field(label, input), button);
}

/** "21–40 of 95" with Previous and Next; onPage(offset) loads another page. */
export function pager({ total, limit, offset, onPage }) {
  const first = total === 0 ? 0 : offset + 1;
  const last = Math.min(offset + limit, total);
  return h(
    'div',
    { class: 'pager' },
    h('p', {}, total === 0 ? 'Nothing to show.' : `${first}–${last} of ${total}`),
    h('button', { type: 'button', class: 'secondary', disabled: offset === 0, on: { click: () => onPage(Math.max(0, offset - limit)) } }, 'Previous'),
    h('button', { type: 'button', class: 'secondary', disabled: offset + limit >= total, on: { click: () => onPage(offset + limit) } }, 'Next'),
  );
}

/** Runs an action with its button disabled (no double submit), and gives focus back if the button is still there. */
export async function busy(button, action) {
  const hadFocus = document.activeElement === button;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await action();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    if (hadFocus && button.isConnected) button.focus();
  }
}
