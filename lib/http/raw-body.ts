// Routes whose requests are signed over their exact bytes (Slack, Discord): the body reaches the handler as the
// raw string, whatever its content type, and the rest of the server keeps its own parsers.
import type { FastifyInstance } from 'fastify';

/** Registers `routes` in a scope of their own where every body is the raw text (at most `bodyLimit` bytes). */
export function registerRawBodyRoutes(app: FastifyInstance, routes: (scope: FastifyInstance) => void, bodyLimit = 1024 * 1024): void {
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit }, (_req, body, done) => done(null, body));
    routes(scope);
  });
}
