// The platforms and sources Parley knows (GET /api/platforms, /api/sources): their labels, their channel settings
// and which are configured. Fetched once per login and shared by the sections (asking runs health checks); the
// "Platforms and sources" section asks afresh.
import { api } from './api.js';

let platforms = null;
let sources = null;

/** Keeps a failed answer out of the cache, so the next section asks again. */
function cached(promise, forget) {
  promise.catch(forget);
  return promise;
}

export function listPlatforms(fresh = false) {
  if (fresh || !platforms) platforms = cached(api.get('platforms'), () => (platforms = null));
  return platforms;
}

export function listSources(fresh = false) {
  if (fresh || !sources) sources = cached(api.get('sources'), () => (sources = null));
  return sources;
}

/** Forgets everything: after logout, the next admin asks again. */
export function forgetCatalog() {
  platforms = null;
  sources = null;
}

/** A platform's or source's label by name, or the name itself when the list is not known. */
export function labelIn(list, name) {
  return list?.find((p) => p.name === name)?.label ?? name;
}
