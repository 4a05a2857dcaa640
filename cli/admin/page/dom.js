// Builds elements from data without ever parsing it as HTML: text goes in as text nodes, attributes one by one.
// No innerHTML anywhere in the page, so nothing the API returns (channel names, errors, topic titles) can run.

const SVG_NS = 'http://www.w3.org/2000/svg';

let nextId = 0;
/** A fresh id for label/aria-describedby pairs. */
export const uid = (prefix = 'id') => `${prefix}-${++nextId}`;

/**
 * Fills an element. props: `class`, `on: {event: handler}`, `dataset`, DOM properties (value, checked, disabled,
 * hidden) and anything else as an attribute (false/null/undefined leave it out, true sets it empty).
 */
function fill(node, props, children) {
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'on') for (const [event, handler] of Object.entries(value)) node.addEventListener(event, handler);
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key === 'class') node.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value);
    else if (['value', 'checked', 'disabled', 'hidden', 'selected', 'open'].includes(key)) node[key] = value;
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

/** Appends children: strings and numbers as text, arrays flattened, null/false/undefined skipped. */
export function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** An HTML element: h('button', {type: 'button', on: {click}}, 'Accept'). */
export const h = (tag, props, ...children) => fill(document.createElement(tag), props, children);

/** An SVG element, for the overview's chart. */
export const s = (tag, props, ...children) => fill(document.createElementNS(SVG_NS, tag), props, children);

/** Replaces an element's children. */
export function replace(node, ...children) {
  node.replaceChildren();
  return append(node, children);
}

/** Only http(s) addresses become links: a `javascript:` URL from data must never be clickable. */
export function safeUrl(href) {
  try {
    const url = new URL(href, window.location.href);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

/** A link to another site, opened in a new tab that cannot reach back to this one; plain text if the URL is unsafe. */
export function externalLink(href, ...children) {
  const url = safeUrl(href);
  if (!url) return h('span', {}, ...children);
  return h('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, ...children, h('span', { class: 'visually-hidden' }, ' (opens in a new tab)'));
}

/** Text with `code` spans as the setup guides write them (backticks), built as elements. */
export function withCode(text) {
  return text.split(/`([^`]*)`/u).map((part, i) => (i % 2 === 1 ? h('code', {}, part) : part));
}
