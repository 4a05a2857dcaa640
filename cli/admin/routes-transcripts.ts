// /api/transcripts: the transcripts /topic made, newest first, with links to their topics or issues. The rendered
// text and the preview page's secret stay out: a preview is for the one who asked for it.
import type { TranscriptRecord } from '../../lib/seams/store.js';
import type { AdminApiDeps, Routes } from './api.js';
import * as s from './schemas.js';

const transcriptJson = (t: TranscriptRecord) => ({
  id: t.id,
  channelId: t.channelId,
  requestedBy: t.requestedBy,
  forumUsername: t.forumUsername,
  status: t.status,
  title: t.title,
  topicUrl: t.topicUrl,
  error: t.error,
  createdAt: t.createdAt.toISOString(),
});

export function transcriptRoutes(r: Routes, deps: AdminApiDeps): void {
  r.get('/transcripts', { schema: { summary: 'The transcripts /topic made, newest first, with their links', querystring: s.PageQuery, response: { 200: s.TranscriptPage } } }, async (req) => {
    const { limit, offset } = req.query;
    const { transcripts, total } = await deps.store.transcripts.list({ limit, offset });
    return { total, limit, offset, transcripts: transcripts.map(transcriptJson) };
  });
}
