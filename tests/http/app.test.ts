import { createHmac } from 'node:crypto';
import Fastify from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadConfig, type Config } from '../../src/config.js';
import { errors } from '../../src/errors.js';
import { buildApp, type App } from '../../src/http/app.js';
import { requireRole, signToken, type Principal } from '../../src/http/auth.js';
import { registerErrorHandlers } from '../../src/http/errorHandler.js';
import { healthRoutes } from '../../src/http/routes/health.js';
import { regionCode } from '../../src/http/schemas/common.js';
import { createLogger } from '../../src/logger.js';
import { insertUser, type NewUser } from '../../src/db/index.js';
import { createAccounts } from '../../src/engine/accounts.js';
import { systemClock } from '../../src/time/clock.js';
import { createTestDb, type TestDb } from '../helpers/db.js';

const config: Config = loadConfig({ NODE_ENV: 'test', JWT_SECRET: 'app-test-secret-0123456789-abcdefghij' });

// Ids are filled in from the user records (the user record, not the token, says who someone is).
const officer: Principal = { id: '', username: 'officer.lingbao', roles: ['officer'], level: null, region: '411282' };
const reviewer: Principal = { ...officer, id: '', username: 'reviewer', roles: ['reviewer'], level: 'county' };

const householdBody = z.object({
  villageCode: regionCode,
  members: z
    .array(
      z.object({
        name: z.string().min(1),
        idNumber: z.string().regex(/^\d{17}[\dX]$/, 'expected an 18-character resident ID number'),
      }),
    )
    .min(1),
});

/** Test-only routes, plugged in the way the engine's routes are. */
function testRoutes(api: App) {
  api.post('/test/households', { schema: { body: householdBody } }, async (request) => ({
    members: request.body.members.length,
  }));
  api.get('/test/me', async (request) => request.principal);
  api.get('/test/officers-only', { preHandler: requireRole('officer') }, async () => ({ ok: true }));
  api.get('/test/public', { config: { public: true } }, async () => ({ ok: true }));
  api.get('/test/conflict', async () => {
    throw errors.versionConflict(3, 4);
  });
  api.get('/test/boom', async () => {
    throw new Error('relation "cases" does not exist: SELECT * FROM cases');
  });
}

let logLines: string[] = [];
let readyFails = false;
let app: App;
let db: TestDb;

beforeAll(async () => {
  db = await createTestDb();
  for (const p of [officer, reviewer]) {
    const row = await insertUser(db.db, { username: p.username, displayName: p.username, roles: p.roles as NewUser['roles'], reviewLevel: p.level, jurisdiction: p.region });
    p.id = row.id;
  }
  const logger = createLogger({ logLevel: 'info' }, { write: (line: string) => void logLines.push(line) });
  app = buildApp({
    config,
    logger,
    ready: async () => {
      if (readyFails) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
    },
    registerRoutes: testRoutes,
    accounts: createAccounts({ db: db.db, clock: systemClock }),
    db: db.db,
    wallClock: systemClock,
  });
  await app.ready();
});

afterAll(async () => {
  await app.close();
  await db.close();
});

const bearer = (principal: Principal = officer) => ({ authorization: `Bearer ${signToken(config, principal, '1h')}` });
const logs = () => logLines.map((l) => JSON.parse(l) as Record<string, unknown>);

describe('health', () => {
  it('GET /healthz is always ok, without a token', async () => {
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('GET /readyz is ready when the database answers', async () => {
    readyFails = false;
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ready' });
  });

  it('GET /readyz answers 503 NOT_READY when it does not, without saying why', async () => {
    readyFails = true;
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    readyFails = false;
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ code: 'NOT_READY', message: 'The service is not ready' });
    expect(res.body).not.toContain('ECONNREFUSED');
  });

  it('GET /readyz counts a readiness check that hangs as not ready', async () => {
    const small = Fastify();
    small.setValidatorCompiler(validatorCompiler);
    small.setSerializerCompiler(serializerCompiler);
    registerErrorHandlers(small);
    small.register(healthRoutes, { ready: () => new Promise(() => {}), readyTimeoutMs: 20 });
    const res = await small.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json().code).toBe('NOT_READY');
    await small.close();
  });
});

describe('request ids', () => {
  it('generates one and returns it as x-request-id', async () => {
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('is always ours: a sane client id is kept beside it (X-Client-Request-Id), an unsafe one dropped', async () => {
    const sane = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'lb-gateway.42' } });
    expect(sane.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(sane.headers['x-client-request-id']).toBe('lb-gateway.42');
    const unsafe = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'a b\u0000<script>' } });
    expect(unsafe.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(unsafe.headers['x-client-request-id']).toBeUndefined();
    // Two requests sending the same id still get two ids of ours.
    const again = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'lb-gateway.42' } });
    expect(again.headers['x-request-id']).not.toBe(sane.headers['x-request-id']);
  });
});

describe('authentication', () => {
  const expectRefused = async (headers: Record<string, string>, code: string, reason?: string) => {
    const res = await app.inject({ method: 'GET', url: '/test/me', headers });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe(code);
    if (reason) expect(res.json().details).toEqual({ reason });
    expect(res.headers['x-request-id']).toBeTruthy();
  };
  const hs256 = (claims: Record<string, unknown>, secret = config.jwtSecret, header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' }) => {
    const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const unsigned = `${enc(header)}.${enc(claims)}`;
    return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
  };
  const now = () => Math.floor(Date.now() / 1000);

  it('refuses a request without a credential', async () => {
    const res = await app.inject({ method: 'GET', url: '/test/me' });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('UNAUTHENTICATED');
    expect(res.json().message).toMatch(/Authorization: Bearer/);
  });

  it('refuses a malformed or forged token', async () => {
    const malformed = await app.inject({ method: 'GET', url: '/test/me', headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expect(malformed.json().code).toBe('UNAUTHENTICATED');
    await expectRefused({ authorization: 'Bearer not.a.jwt' }, 'TOKEN_INVALID', 'malformed');
    const forged = signToken({ jwtSecret: 'another-secret-'.padEnd(40, 'y'), jwtIssuer: config.jwtIssuer }, officer, '1h');
    await expectRefused({ authorization: `Bearer ${forged}` }, 'TOKEN_INVALID', 'bad_signature');
  });

  it('refuses a token from another issuer, or naming none', async () => {
    const other = signToken({ jwtSecret: config.jwtSecret, jwtIssuer: 'someone-else' }, officer, '1h');
    await expectRefused({ authorization: `Bearer ${other}` }, 'TOKEN_INVALID', 'untrusted_issuer');
    await expectRefused({ authorization: `Bearer ${hs256({ sub: officer.id, iat: now(), exp: now() + 60 })}` }, 'TOKEN_INVALID', 'missing_issuer');
  });

  it('refuses an expired token', async () => {
    const expired = signToken(config, officer, 60, { now: Date.now() - 2 * 3600_000 });
    await expectRefused({ authorization: `Bearer ${expired}` }, 'TOKEN_INVALID', 'expired');
  });

  it('refuses a token without iat, with iat in the future, or living longer than TOKEN_MAX_TTL', async () => {
    const iss = config.jwtIssuer;
    await expectRefused({ authorization: `Bearer ${hs256({ iss, sub: officer.id, exp: now() + 60 })}` }, 'TOKEN_INVALID', 'missing_claim');
    await expectRefused({ authorization: `Bearer ${hs256({ iss, sub: officer.id, iat: now() + 3600, exp: now() + 7200 })}` }, 'TOKEN_INVALID', 'issued_in_future');
    const long = hs256({ iss, sub: officer.id, iat: now(), exp: now() + config.tokenMaxTtlSeconds + 60 });
    await expectRefused({ authorization: `Bearer ${long}` }, 'TOKEN_INVALID', 'lifetime_too_long');
  });

  it('refuses another algorithm, "none" included', async () => {
    const claims = { iss: config.jwtIssuer, sub: officer.id, iat: now(), exp: now() + 60 };
    const none = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;
    const res = await app.inject({ method: 'GET', url: '/test/me', headers: { authorization: `Bearer ${none}` } });
    expect(res.statusCode).toBe(401);
    await expectRefused({ authorization: `Bearer ${hs256(claims, config.jwtSecret, { alg: 'HS512', typ: 'JWT' })}` }, 'TOKEN_INVALID');
  });

  it('refuses a token for a user who does not exist', async () => {
    const ghost = signToken(config, { id: '00000000-0000-4000-8000-000000000000' }, '1h');
    await expectRefused({ authorization: `Bearer ${ghost}` }, 'TOKEN_INVALID', 'unknown_user');
  });

  it('takes roles and jurisdiction from the user record, never from the token', async () => {
    // A token that claims admin over the whole province gets the officer's own roles and region.
    const boasting = hs256({ iss: config.jwtIssuer, sub: officer.id, iat: now(), exp: now() + 60, roles: ['admin'], region: '41' });
    const res = await app.inject({ method: 'GET', url: '/test/me', headers: { authorization: `Bearer ${boasting}` } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(officer);
  });

  it('sets request.principal from a valid token, whether signed by the app or from config', async () => {
    for (const token of [signToken(config, reviewer, '1h'), signToken(app, reviewer, '1h')]) {
      const res = await app.inject({ method: 'GET', url: '/test/me', headers: { authorization: `Bearer ${token}` } });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual(reviewer);
    }
  });

  it('lets a route opt out with config.public', async () => {
    const res = await app.inject({ method: 'GET', url: '/test/public' });
    expect(res.statusCode).toBe(200);
  });

  it('requireRole answers 403 FORBIDDEN naming the roles needed', async () => {
    const res = await app.inject({ method: 'GET', url: '/test/officers-only', headers: bearer(reviewer) });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({ code: 'FORBIDDEN', message: 'This needs role officer', details: { roles: ['officer'] } });
    const ok = await app.inject({ method: 'GET', url: '/test/officers-only', headers: bearer(officer) });
    expect(ok.statusCode).toBe(200);
  });
});

describe('errors', () => {
  it('answers 400 VALIDATION_FAILED with a path and an expectation per field', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/test/households',
      headers: bearer(),
      payload: { villageCode: '4112', members: [{ name: '张三', idNumber: '123' }, { name: '' }] },
    });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.code).toBe('VALIDATION_FAILED');
    expect(body.details).toEqual(
      expect.arrayContaining([
        { path: 'body.villageCode', message: 'expected a 12-digit region code' },
        { path: 'body.members[0].idNumber', message: 'expected an 18-character resident ID number' },
        { path: 'body.members[1].name', message: expect.stringMatching(/>=1 characters/) },
        { path: 'body.members[1].idNumber', message: expect.stringMatching(/expected string/) },
      ]),
    );
    expect(body.details).toHaveLength(4);
  });

  it('accepts a valid body', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/test/households',
      headers: bearer(),
      payload: { villageCode: '411282100201', members: [{ name: '张三', idNumber: '41128219500101123X' }] },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ members: 1 });
  });

  it('answers 400 VALIDATION_FAILED for a body that is not JSON', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/test/households',
      headers: { ...bearer(), 'content-type': 'application/json' },
      payload: '{"villageCode": ',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ path: 'body', message: 'expected valid JSON' }] });
  });

  it('answers 413 PAYLOAD_TOO_LARGE above 1 MiB', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/test/households',
      headers: { ...bearer(), 'content-type': 'application/json' },
      payload: JSON.stringify({ pad: 'x'.repeat(1024 * 1024) }),
    });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', details: { limitBytes: 1048576 } });
  });

  it('answers 415 UNSUPPORTED_MEDIA_TYPE for a body that is not JSON by type', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/test/households',
      headers: { ...bearer(), 'content-type': 'application/xml' },
      payload: '<household/>',
    });
    expect(res.statusCode).toBe(415);
    expect(res.json().code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers 404 NOT_FOUND for an unknown route', async () => {
    const res = await app.inject({ method: 'GET', url: '/nowhere?x=1' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ code: 'NOT_FOUND', message: 'No route GET /nowhere' });
  });

  it('sends an AppError with its status, code and details, and logs the refusal without the body', async () => {
    logLines = [];
    const res = await app.inject({ method: 'GET', url: '/test/conflict', headers: bearer() });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual({
      code: 'VERSION_CONFLICT',
      message: 'The case is at version 4, not 3; reload it and try again',
      details: { expectedVersion: 3, currentVersion: 4 },
    });
    const refusal = logs().find((l) => l.code === 'VERSION_CONFLICT');
    expect(refusal).toMatchObject({ level: 30, reqId: res.headers['x-request-id'], statusCode: 409 });
  });

  it('never logs a refused request body', async () => {
    logLines = [];
    await app.inject({
      method: 'POST',
      url: '/test/households',
      headers: bearer(),
      payload: { villageCode: 'SECRET-MARKER', members: [] },
    });
    expect(logLines.join('')).not.toContain('SECRET-MARKER');
    expect(logs().some((l) => l.code === 'VALIDATION_FAILED')).toBe(true);
  });

  it('logs the client\'s request id beside ours on every line of the request', async () => {
    logLines = [];
    const res = await app.inject({ method: 'GET', url: '/test/conflict', headers: { ...bearer(), 'x-request-id': 'gw-7f3a' } });
    const refusal = logs().find((l) => l.code === 'VERSION_CONFLICT');
    expect(refusal).toMatchObject({ reqId: res.headers['x-request-id'], clientRequestId: 'gw-7f3a' });
    expect(refusal?.reqId).not.toBe('gw-7f3a');
  });

  it('logs 401 refusals at warn with the request id', async () => {
    logLines = [];
    const res = await app.inject({ method: 'GET', url: '/test/me' });
    expect(logs().find((l) => l.code === 'UNAUTHENTICATED')).toMatchObject({
      level: 40,
      reqId: res.headers['x-request-id'],
    });
  });

  it('turns an unexpected error into 500 INTERNAL with a generic message, and logs it with the request id', async () => {
    logLines = [];
    const res = await app.inject({ method: 'GET', url: '/test/boom', headers: { ...bearer(), 'x-request-id': 'req-boom-1' } });
    expect(res.statusCode).toBe(500);
    const ours = res.headers['x-request-id'] as string;
    expect(res.json()).toEqual({ code: 'INTERNAL', message: `Internal error; quote request id ${ours}` });
    expect(res.body).not.toMatch(/SELECT|stack|at .*\.ts/);
    const logged = logs().find((l) => l.code === 'INTERNAL') as { reqId: string; level: number; err: { message: string; stack: string } };
    expect(logged).toMatchObject({ reqId: ours, clientRequestId: 'req-boom-1', level: 50 });
    expect(logged.err.message).toContain('SELECT * FROM cases');
    expect(logged.err.stack).toBeTruthy();
  });
});

describe('OpenAPI', () => {
  it('serves the document at /openapi.json with the registered routes and the error schema', async () => {
    const res = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/healthz', '/readyz', '/test/households']));
    expect(doc.paths['/openapi.json']).toBeUndefined();
    expect(doc.paths['/healthz'].get.security).toEqual([]);
    expect(doc.components.schemas.ErrorResponse).toBeDefined();
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('serves Swagger UI at /docs', async () => {
    const res = await app.inject({ method: 'GET', url: '/docs/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
  });
});
