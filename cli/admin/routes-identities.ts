// /api/identities: chat users linked to forum and GitLab users, as `parley identities` lists them.
import type { AdminApiDeps, Routes } from './api.js';
import * as s from './schemas.js';

export function identityRoutes(r: Routes, deps: AdminApiDeps): void {
  r.get('/identities', { schema: { summary: 'Chat users linked to forum or GitLab users', querystring: s.IdentityQuery, response: { 200: s.IdentityList } } }, async (req) => {
    const identities = await deps.store.identities.list({ ...(req.query.platform ? { platform: req.query.platform } : {}), ...(req.query.source ? { source: req.query.source } : {}) });
    return identities.map((i) => ({ ...i, createdAt: i.createdAt.toISOString() }));
  });
}
