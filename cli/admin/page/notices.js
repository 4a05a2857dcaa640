// What the page says after an action: a status (role=status, polite) or an error (role=alert), and a 400's
// per-field problems beside their fields (aria-describedby), as the API names them (body.scopes.1 → body.scopes).
import { h, uid } from './dom.js';

/** A status region and an alert region, made once and kept: screen readers announce changes to live regions. */
export function createNotices(extraClass = '') {
  const status = h('div', { role: 'status', 'aria-live': 'polite', class: ['notice', 'notice-status', extraClass] });
  const alert = h('div', { role: 'alert', class: ['notice', 'notice-alert', extraClass] });
  const say = (region, other, message) => {
    other.textContent = '';
    region.textContent = message ?? '';
  };
  const notices = {
    elements: [status, alert],
    status: (message) => say(status, alert, message),
    alert: (message) => say(alert, status, message),
    clear: () => say(status, alert, ''),
    /** Shows an ApiError: beside its fields where the form has them, else as an alert. */
    error(error, form) {
      if (error?.sessionEnded) return; // the login screen says it
      if (form && error?.issues?.length > 0) {
        // Beside each field, and all of them in the alert too, by the fields' labels: read out at once.
        const placed = placeFieldErrors(form, error.issues);
        notices.alert(placed.map(({ issue, control }) => `${control?.labels?.[0]?.textContent ?? issue.field}: ${issue.message}`).join('\n'));
        return;
      }
      notices.alert(error?.message ?? String(error));
    },
  };
  return notices;
}

/** The control a field path names: data-field="body.scopes" takes body.scopes and body.scopes.1. */
function controlOf(form, field) {
  for (const control of form.querySelectorAll('[data-field]')) {
    const name = control.dataset.field;
    if (field === name || field.startsWith(`${name}.`)) return control;
  }
  return null;
}

/** Writes each issue beside its control; answers each issue with its control (null: the form has none for it). */
export function placeFieldErrors(form, issues) {
  clearFieldErrors(form);
  const placed = [];
  let first = null;
  for (const issue of issues) {
    const control = controlOf(form, issue.field);
    placed.push({ issue, control });
    if (!control) continue;
    const id = uid('error');
    const note = h('p', { id, class: 'field-error', dataset: { fieldError: '' } }, issue.message);
    control.insertAdjacentElement('afterend', note);
    control.setAttribute('aria-invalid', 'true');
    control.setAttribute('aria-describedby', [control.getAttribute('aria-describedby'), id].filter(Boolean).join(' '));
    first ??= control;
  }
  first?.focus();
  return placed;
}

/** Removes the messages placeFieldErrors wrote, and the controls' links to them. */
export function clearFieldErrors(form) {
  for (const note of form.querySelectorAll('[data-field-error]')) {
    for (const control of form.querySelectorAll('[aria-describedby]')) {
      const rest = control.getAttribute('aria-describedby').split(' ').filter((id) => id !== note.id);
      if (rest.length > 0) control.setAttribute('aria-describedby', rest.join(' '));
      else control.removeAttribute('aria-describedby');
    }
    note.remove();
  }
  for (const control of form.querySelectorAll('[aria-invalid]')) control.removeAttribute('aria-invalid');
}
