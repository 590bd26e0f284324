/**
 * Probes for the process supervisor. /healthz answers while the process can serve HTTP at all (liveness:
 * restart me if this fails); /readyz answers only while the database is reachable (readiness: send me
 * traffic). Both are public: probes carry no token.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errors } from '../../errors.js';
import { errorResponse } from '../schemas/common.js';

export interface HealthOptions {
  /** Resolves when the service can do its work (the database answers); throws otherwise. */
  ready: () => Promise<void>;
  /** A readiness check that hangs counts as a failure after this long. */
  readyTimeoutMs?: number;
}

const DEFAULT_READY_TIMEOUT_MS = 3000;

export const healthRoutes: FastifyPluginAsyncZod<HealthOptions> = async (app, options) => {
  const timeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;

  app.get(
    '/healthz',
    {
      config: { public: true, rateLimit: false }, // probes are never limited
      schema: {
        tags: ['health'],
        summary: 'Liveness: the process is up',
        security: [],
        response: { 200: z.strictObject({ status: z.literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      config: { public: true, rateLimit: false }, // probes are never limited
      schema: {
        tags: ['health'],
        summary: 'Readiness: the database is reachable',
        security: [],
        response: { 200: z.strictObject({ status: z.literal('ready') }), 503: errorResponse },
      },
    },
    async () => {
      try {
        await withTimeout(options.ready(), timeoutMs);
      } catch (err) {
        throw errors.notReady(err);
      }
      return { status: 'ready' as const };
    },
  );
};

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`readiness check took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
