// The page's only way to Parley: the admin JSON API (README.md, "Admin API"). Sends the session cookie and, on every
// change, the CSRF token login gave; turns every refusal into an ApiError whose message can be shown as it is.

// This module is served from <root>/admin/assets/: the API is at <root>/api/ wherever Parley is mounted.
const ROOT = new URL('../../', import.meta.url);

let csrfToken = null;
let sessionEnded = () => {};

/** A refusal or failure, worded for the admin: `message` is the server's own where it gave one. */
export class ApiError extends Error {
  constructor(status, code, message, issues = []) {
    super(message);
    this.status = status;
    this.code = code;
    /** [{field: 'body.scopes.1', message}] for a 400 naming fields. */
    this.issues = issues;
  }

  /** A 401 after login: the app has already gone back to the login screen, so there is nothing more to show. */
  get sessionEnded() {
    return this.status === 401;
  }
}

/** Called on a 401 from any API request: the session expired or was ended elsewhere. */
export function onSessionEnd(handler) {
  sessionEnded = handler;
}

/** An API path with each interpolated value encoded: path`channels/${id}/rules`. */
export function path(strings, ...values) {
  return strings.reduce((out, part, i) => out + part + (i < values.length ? encodeURIComponent(String(values[i])) : ''), '');
}

async function errorOf(res, method, where) {
  let body = null;
  try {
    body = await res.json();
  } catch {
    // not JSON: a proxy's page, say
  }
  const message = typeof body?.message === 'string' && body.message ? body.message : `Parley answered ${res.status} ${res.statusText}.`;
  // Fastify's own 404 for a route this Parley does not have (yet): say so rather than "Route … not found".
  if (res.status === 404 && body?.error === 'Not Found' && /^Route /u.test(message)) {
    return new ApiError(404, 'no_route', `This Parley does not offer ${method} /${where} (yet): update Parley for this part of the page.`);
  }
  return new ApiError(res.status, typeof body?.error === 'string' ? body.error : 'http', message, Array.isArray(body?.issues) ? body.issues : []);
}

async function send(method, where, body) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  try {
    return await fetch(new URL(where, ROOT), { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, 'network', 'Parley could not be reached: check that it is running, then try again.');
  }
}

/** Reads the session's CSRF token again (page load, or after a 403 from a token that changed). */
export async function readSession() {
  const res = await send('GET', 'api/session');
  if (!res.ok) throw await errorOf(res, 'GET', 'api/session');
  const session = await res.json();
  csrfToken = session.csrfToken ?? null;
  return session;
}

async function request(method, apiPath, { query, body } = {}, retried = false) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  const where = `api/${apiPath}${params.size > 0 ? `?${params}` : ''}`;
  const res = await send(method, where, body);
  if (res.ok) return res.status === 204 ? null : res.json();
  const error = await errorOf(res, method, where);
  if (error.status === 401) sessionEnded();
  // A login in another tab replaced the session's token: read it again and try once more.
  if (error.status === 403 && error.code === 'csrf' && !retried) {
    await readSession();
    return request(method, apiPath, { query, body }, true);
  }
  throw error;
}

export const api = {
  get: (apiPath, query) => request('GET', apiPath, { query }),
  post: (apiPath, body = {}, query) => request('POST', apiPath, { body, query }),
  patch: (apiPath, body, query) => request('PATCH', apiPath, { body, query }),
  put: (apiPath, body) => request('PUT', apiPath, { body }),
  del: (apiPath, query) => request('DELETE', apiPath, { query }),
};

/** A path of the site (a download's `/api/platforms/…`) as a full URL. */
export const siteUrl = (sitePath) => new URL(sitePath.replace(/^\//u, ''), ROOT).href;

/** GETs a file the API offers (Slack's manifest) as a Blob; a refusal as an ApiError with the server's message. */
export async function getFile(sitePath) {
  const where = sitePath.replace(/^\//u, '');
  const res = await send('GET', where);
  if (res.ok) return res.blob();
  const error = await errorOf(res, 'GET', where);
  if (error.status === 401) sessionEnded();
  throw error;
}

/** POST /admin/login: the server's message on refusal (wrong password, too many tries) as an ApiError. */
export async function logIn(password) {
  const res = await send('POST', 'admin/login', { password });
  if (!res.ok) throw await errorOf(res, 'POST', 'admin/login');
  const answer = await res.json();
  csrfToken = answer.csrfToken;
}

/** POST /admin/logout; the token is forgotten whatever the answer. */
export async function logOut() {
  try {
    const res = await send('POST', 'admin/logout', {});
    if (!res.ok && res.status !== 401) throw await errorOf(res, 'POST', 'admin/logout');
  } finally {
    csrfToken = null;
  }
}
