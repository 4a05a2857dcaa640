// /api/identities: chat users linked to forum and GitLab users, as `parley identities` lists, adds and removes them
// (../identity-ops.ts does what both do).
import { chatUser, checkUsername, identityJson, linkIdentity, unlinkIdentity, userNoun, usernameRule } from '../identity-ops.js';
import { invalid, notFound, type AdminApiDeps, type Routes } from './api.js';
import * as s from './schemas.js';

/** Who the store says set a link the API set. */
const ADMIN = 'admin';

export function identityRoutes(r: Routes, deps: AdminApiDeps): void {
  r.get('/identities', { schema: { summary: 'Chat users linked to forum or GitLab users', querystring: s.IdentityQuery, response: { 200: s.IdentityList } } }, async (req) => {
    const identities = await deps.store.identities.list({ ...(req.query.platform ? { platform: req.query.platform } : {}), ...(req.query.source ? { source: req.query.source } : {}) });
    return identities.map(identityJson);
  });

  r.post(
    '/identities',
    {
      schema: {
        summary: 'Link a chat user to a forum or GitLab user, replacing an earlier link to that source, as parley identities add does',
        body: s.IdentityAdd,
        response: { 200: s.IdentityLinked, 201: s.IdentityLinked, 400: s.ValidationErrorBody },
      },
    },
    async (req, reply) => {
      const { platform, userId, source } = req.body;
      const username = checkUsername(source, req.body.username);
      if (username === null) {
        const issue = { field: 'body.username', message: `"${req.body.username}" is not a ${userNoun(source).replace(' user', '')} username: ${usernameRule(source)}` };
        return invalid(reply, [issue]);
      }
      const linked = await linkIdentity(deps.store, { platform, userId, source, username }, ADMIN);
      return reply.code(linked.change === 'created' ? 201 : 200).send({
        change: linked.change,
        identity: identityJson(linked.identity),
        was: linked.change === 'replaced' ? linked.before.username : null,
      });
    },
  );

  r.delete(
    '/identities/:platform/:userId',
    {
      schema: {
        summary: "Remove a chat user's link to a source (discourse unless ?source=gitlab), as parley identities remove does",
        params: s.IdentityParams,
        querystring: s.IdentitySourceQuery,
        response: { 200: s.IdentityRemoved, 404: s.ErrorBody },
      },
    },
    async (req, reply) => {
      const { platform, userId } = req.params;
      const { source } = req.query;
      const result = await unlinkIdentity(deps.store, platform, userId, source);
      if (!result.ok) return notFound(reply, `${userNoun(source)} linked to ${chatUser({ platform, userId })}`);
      return { removed: identityJson(result.removed) };
    },
  );
}
