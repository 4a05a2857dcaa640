// Times and names as the admin reads them: the browser's own time zone and language.
import { h } from './dom.js';

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const hourOnly = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });

/** A <time> in local time, its ISO value for machines. */
export function time(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : h('time', { datetime: date.toISOString() }, dateTime.format(date));
}

/** An hour's start in local time: "14:00", or "2:00 PM" where the language says so. */
export const hourLabel = (date) => hourOnly.format(date);

/** "3 rules", "1 rule". */
export const count = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** A name as a heading would show it: "database" → "Database". */
export const capitalized = (name) => name.charAt(0).toUpperCase() + name.slice(1);
