/**
 * GET /metrics (Prometheus text format), and the request counter behind doudi_http_requests_total.
 *
 * Protected by a bearer token from configuration (METRICS_TOKEN), compared in constant time; without one the
 * route answers 404, so an installation that never set it exposes nothing. It is outside the API's
 * authentication (a scraper has no user) and out of the OpenAPI document.
 */
import { timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from '../logger.js';
import { errors } from '../errors.js';
import { registerErrorHandlers } from './errorHandler.js';
import { httpDuration, httpRequests, registry, setDatabaseGauges, type DatabaseCounts } from '../metrics.js';

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Counts every answer by route pattern (never the raw URL: /cases/:id, not the id) and status. */
export function countRequests(app: FastifyInstance): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched'; // a 404 for no route: one series, not one per URL
    httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
    httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });
}

export function metricsRoute(app: FastifyInstance, opts: { token: string | null; counts: () => Promise<DatabaseCounts> }): void {
  app.get('/metrics', { schema: { hide: true }, config: { public: true, rateLimit: false } }, async (request, reply) => {
    if (!opts.token) throw errors.notFound('No route GET /metrics');
    const header = request.headers.authorization ?? '';
    if (!header.startsWith('Bearer ') || !sameToken(header.slice(7), opts.token)) throw errors.unauthenticated();
    setDatabaseGauges(await opts.counts());
    return reply.type(registry.contentType).send(await registry.metrics());
  });
}

/**
 * A worker's own /metrics (WORKER_METRICS_PORT): a server with that one route, so a worker's timer and delivery
 * counters can be scraped without exposing the API from a worker.
 */
export async function startMetricsServer(opts: { token: string | null; counts: () => Promise<DatabaseCounts>; host: string; port: number; logger: Logger }) {
  const app = Fastify({ loggerInstance: opts.logger as FastifyBaseLogger, disableRequestLogging: true });
  registerErrorHandlers(app);
  metricsRoute(app, opts);
  await app.listen({ host: opts.host, port: opts.port });
  return app;
}
