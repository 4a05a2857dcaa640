// /api/transcript-policy: which forum groups' members may post transcripts (besides forum admins). An admin's
// choice is kept in the store and read at each /topic (commands/topic/handler.ts, transcriptPolicy); deleting it
// goes back to PARLEY_TRANSCRIPT_GROUPS.
import { transcriptPolicy } from '../../commands/topic/handler.js';
import type { AdminApiDeps, Routes } from './api.js';
import * as s from './schemas.js';

/** Who the store says set the policy the API set. */
const ADMIN = 'admin';

/** Each group once, in the order given; forum group names compare without case, as /topic compares them. */
function distinct(groups: readonly string[]): string[] {
  const seen = new Set<string>();
  return groups.filter((g) => !seen.has(g.toLowerCase()) && seen.add(g.toLowerCase()));
}

export function transcriptPolicyRoutes(r: Routes, deps: AdminApiDeps): void {
  const environmentGroups = deps.config.transcripts.groups;
  const current = async () => ({ ...(await transcriptPolicy(deps.store, environmentGroups)), environmentGroups: [...environmentGroups] });

  r.get('/transcript-policy', { schema: { summary: 'Which forum groups may post transcripts (besides forum admins), and whether an admin set it', response: { 200: s.TranscriptPolicy } } }, current);

  r.put(
    '/transcript-policy',
    {
      schema: {
        summary: 'Set the forum groups that may post transcripts (besides forum admins), instead of PARLEY_TRANSCRIPT_GROUPS; read at each /topic',
        body: s.TranscriptPolicySet,
        response: { 200: s.TranscriptPolicy, 400: s.ValidationErrorBody },
      },
    },
    async (req) => {
      await deps.store.settings.set('transcriptGroups', distinct(req.body.groups), ADMIN);
      return current();
    },
  );

  r.delete('/transcript-policy', { schema: { summary: 'Go back to PARLEY_TRANSCRIPT_GROUPS', response: { 200: s.TranscriptPolicy } } }, async () => {
    await deps.store.settings.delete('transcriptGroups');
    return current();
  });
}
