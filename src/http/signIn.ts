/**
 * The password check behind every sign-in — the API's (/auth/sign-in, /auth/token) and the console's sign-in
 * page — with its failure limits, so both doors have the same lock.
 *
 * Every attempt first takes a hit from both counters (one atomic upsert each, in the database so that every
 * process sees them: src/http/rateLimitStore.ts), and a right password gives it back: parallel guesses cannot
 * slip past the limit between a check and a count — at most SIGN_IN_MAX_FAILURES passwords of an account are
 * ever tried per SIGN_IN_WINDOW, and SIGN_IN_MAX_FAILURES_PER_ADDRESS per client address.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { refundHit, type UserRow } from '../db/index.js';
import type { Engine } from '../engine/index.js';
import { errors } from '../errors.js';
import { SIGN_IN_KEY_PREFIX } from './rateLimitStore.js';

export const requestOrigin = (request: FastifyRequest) => ({ ip: request.ip, requestId: request.id });

export function createPasswordSignIn(app: FastifyInstance, engine: Engine, config: Config) {
  const accounts = engine.accounts;
  const window = config.signInWindowSeconds * 1000;
  const perAccount = app.createRateLimit({
    max: config.signInMaxFailures,
    timeWindow: window,
    allowList: () => false,
    keyGenerator: (request) => `${SIGN_IN_KEY_PREFIX}account:${String((request.body as { username?: string }).username ?? '').trim().toLowerCase()}`,
  });
  const perAddress = app.createRateLimit({
    max: config.signInMaxFailuresPerAddress,
    timeWindow: window,
    allowList: () => false,
    keyGenerator: (request) => `${SIGN_IN_KEY_PREFIX}address:${request.ip}`,
  });

  return async function passwordSignIn(request: FastifyRequest, body: { username: string; password: string }): Promise<UserRow> {
    const limits = await Promise.all([perAccount(request), perAddress(request)]);
    const over = limits.find((l) => !l.isAllowed && l.isExceeded);
    if (over && !over.isAllowed /* narrows the type: allowList is off for these limits */) {
      await accounts.recordLockout(body.username, requestOrigin(request));
      throw errors.tooManyAttempts(Math.max(1, over.ttlInSeconds));
    }
    const user = await accounts.checkPassword(body.username, body.password, requestOrigin(request));
    await Promise.all(limits.map((l) => refundHit(engine.deps.db, l.key)));
    return user;
  };
}
