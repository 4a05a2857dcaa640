// The admin page (docs/architecture.md#admin): static files from ./page/ (index.html, its CSS and ES modules, no
// build step), which use only the admin API under /api. The page holds no data, so it loads without a session; the
// API refuses without one. lib/http/admin-auth.ts owns POST /admin/login and /admin/logout, and answers every
// /admin path itself while the admin is off, so this plugin is registered only when it is on.
import staticFiles from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The page's folder in the sources, cli/admin/page/, also when this file runs compiled (dist/cli/admin/page.js): the
 *  page has no build step, so the build does not copy it, and an edit to it is served without one. */
export const PAGE_DIR = fileURLToPath(new URL(import.meta.url.endsWith('.js') ? '../../../cli/admin/page/' : './page/', import.meta.url));

/** Everything from Parley itself: no inline script or style, no other host, never framed. */
export const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

function secureHeaders(reply: FastifyReply): void {
  reply.header('content-security-policy', PAGE_CSP);
  reply.header('x-content-type-options', 'nosniff');
  reply.header('referrer-policy', 'no-referrer');
}

/** GET /admin and /admin/ give the page; /admin/assets/* its files. */
export async function registerAdminPage(app: FastifyInstance): Promise<void> {
  await app.register(async (scope) => {
    // On every answer of this scope, the static files' 404s and 403s included.
    scope.addHook('onSend', async (_req, reply, payload) => {
      secureHeaders(reply);
      return payload;
    });
    await scope.register(staticFiles, {
      root: PAGE_DIR,
      prefix: '/admin/assets/',
      index: false,
      list: false,
      dotfiles: 'ignore',
      // No build step, so no hashed names: the browser asks again (ETag) rather than keep a stale module; the page
      // itself is never kept.
      cacheControl: false,
      setHeaders: (reply, file) => {
        reply.header('cache-control', basename(file) === 'index.html' ? 'no-store' : 'no-cache');
      },
    });
    const page = async (_req: unknown, reply: FastifyReply) => reply.sendFile('index.html');
    scope.get('/admin', page);
    scope.get('/admin/', page);
  });
}
