// GET /transcripts/:secret — a /topic preview too long for a composer link: the transcript as it would be
// posted, and a button that copies it and opens the forum's composer with the title, category and tags.
import type { FastifyInstance } from 'fastify';
import type { TranscriptStore } from '../seams/store.js';

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function registerTranscriptPage(app: FastifyInstance, opts: { transcripts: TranscriptStore; forumUrl: string }): void {
  app.get<{ Params: { secret: string } }>('/transcripts/:secret', async (req, reply) => {
    const record = /^[\w-]{20,100}$/.test(req.params.secret) ? await opts.transcripts.bySecret(req.params.secret, new Date()) : undefined;
    if (!record?.markdown) {
      return reply.code(404).type('text/html; charset=utf-8').send('<!doctype html><meta charset="utf-8"><title>Not found</title><p>This preview does not exist or has expired. Run the /topic command again.</p>');
    }
    const title = record.title ?? 'Chat transcript';
    const composer = `${opts.forumUrl}/new-topic?${new URLSearchParams({ title }).toString()}`;
    const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta name="referrer" content="no-referrer"><meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}pre{white-space:pre-wrap;background:#f6f6f6;padding:1rem;border-radius:6px}button{font-size:1rem;padding:.5rem 1rem}</style>
</head><body>
<h1>${escapeHtml(title)}</h1>
<p>Preview of a transcript made by Parley for ${escapeHtml(record.forumUsername)}. Nothing has been posted.</p>
<p><button id="go">Copy the text and continue in the forum</button> <span id="done" hidden>Copied: paste it into the composer.</span></p>
<pre id="body">${escapeHtml(record.markdown)}</pre>
<script>
document.getElementById('go').addEventListener('click', async () => {
  await navigator.clipboard.writeText(document.getElementById('body').textContent);
  document.getElementById('done').hidden = false;
  window.open(${JSON.stringify(composer).replace(/</g, '\\u003c')}, '_blank', 'noopener');
});
</script>
</body></html>`;
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(html);
  });
}
