// Property-based fuzzing (fast-check) of every route's input: bodies, query strings, path parameters and headers,
// as every kind of user and as nobody. The routes are read from the service's own OpenAPI document, so a new route
// is fuzzed without a change here. At least 10,000 requests per run.
//
// For every request:
//   - never a 5xx;
//   - every non-2xx body carries a `code` from the error catalogue (src/errors.ts), sent with that code's status;
//   - a refused request (and any GET) changes nothing: a fingerprint of the tables (row counts, row versions, and
//     hashes of the small mutable tables) is the same after it as before.
// And at the end: every case row agrees with its audit trail, and every chain verifies.
//
// Most requests fail validation fast; a share is valid-shaped and reaches the database (pools of real case, member,
// facility, guardian and webhook ids; valid resident ID numbers; events of every type with their payload schemas).
// The seed is fixed (printed; override with FUZZ_SEED=<n>) so a failure can be replayed. Runs on PGlite, or on
// PostgreSQL when DATABASE_URL is set.
import { sql } from 'drizzle-orm';
import { installWriteCounter } from './writeCounter.js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { eventTypes } from '../../machines/index.js';
import { rows, verifyCaseAudit } from '../../src/db/index.js';
import { residentIdCheckChar } from '../../src/domain/residentId.js';
import { eventInputSchemas } from '../../src/engine/index.js';
import { errorCatalogue, errorCodes } from '../../src/errors.js';
import { signToken, type Principal } from '../../src/http/auth.js';
import { startService, V, type TestService, type TestUser } from '../helpers/service.js';

const SEED = Number.parseInt(process.env.FUZZ_SEED ?? '20260302', 10);
/** Requests per family; 12,000 in all (the routes' share grows with the API, so that every operation is reached at least 20 times). FUZZ_SCALE multiplies them (e.g. 0.1 for a quick look, 5 for a long soak). */
const SCALE = Number(process.env.FUZZ_SCALE ?? '1');
const RUNS = { surveys: 1500, events: 3000, routes: 6000, protocol: 1500 };
const runs = (n: number) => Math.max(1, Math.round(n * SCALE));
const TOTAL = Object.values(RUNS).reduce((a, b) => a + b, 0);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Schema = Record<string, any>;
type PoolName = 'case' | 'member' | 'facility' | 'guardian' | 'webhook' | 'notification';

/** A reference to a real id, resolved when the request is sent (the pools grow as the fuzzer creates things). */
interface PoolRef {
  $pool: PoolName;
  i: number;
  /** A case: one whose state takes this event, when there is one. A member: one of the request's case. */
  forEvent?: string;
  ofCase?: boolean;
}
const isPoolRef = (v: unknown): v is PoolRef => typeof v === 'object' && v !== null && '$pool' in v;

/** A request as generated: plain data, printed as the counterexample when a property fails. */
interface RequestSpec {
  method: string;
  /** Path with {param} placeholders filled from `params`. */
  route: string;
  params: Record<string, unknown>;
  /** Raw query string (already encoded, possibly malformed on purpose), without '?'. */
  query: string;
  /** Body: a value to JSON-encode, or raw text. */
  body: { json: unknown } | { raw: string } | null;
  user: string;
  headers: Record<string, string>;
}

// ---------------------------------------------------------------------------------------------------------------
// The service and the world it holds.

let svc: TestService;
let doc: { paths: Record<string, Record<string, Schema>>; components?: { schemas?: Record<string, Schema> } };
const pools: Record<PoolName, string[]> = { case: [], member: [], facility: [], guardian: [], webhook: [], notification: ['1', '2', '3'] };
const tokens = new Map<string, string>();
const stats = { requests: 0, byStatus: new Map<number, number>(), byRoute: new Map<string, number>(), okByRoute: new Map<string, number>(), codes: new Map<string, number>() };
const SECRET = 'test-secret-test-secret-test-secret-42'; // startService's JWT_SECRET

/** The write counter's fingerprint (tests/faults/writeCounter.ts), set in beforeAll. */
let fingerprint: () => Promise<string>;

function principalFor(who: TestUser): Principal {
  return svc.principal(who) as Principal;
}

const USERS = [
  'enumerator', 'evaluator', 'village', 'village2', 'township', 'county', 'officer', 'visitor', 'supervisor', 'citySupervisor', 'system', 'admin',
  'mcEnumerator', 'mcCounty', 'mcOfficer',
] as const satisfies readonly TestUser[];
const BAD_AUTH = ['none', 'expired', 'wrongSecret', 'wrongIssuer', 'garbage', 'basic', 'empty', 'huge', 'algNone', 'ghost'] as const;

function buildTokens() {
  for (const u of USERS) tokens.set(u, `Bearer ${svc.token(u)}`);
  const p = principalFor('admin');
  tokens.set('expired', `Bearer ${signToken(svc.app, p, 60, { now: Date.now() - 3 * 3600_000 })}`);
  tokens.set('wrongSecret', `Bearer ${signToken({ jwtSecret: 'another-secret-another-secret-another-1', jwtIssuer: 'doudi' }, p, '1h')}`);
  tokens.set('wrongIssuer', `Bearer ${signToken({ jwtSecret: SECRET, jwtIssuer: 'someone-else' }, p, '1h')}`);
  tokens.set('garbage', 'Bearer not.a.token');
  // Correctly signed, for a user who is not in the database (say, removed since): every role, the whole county.
  const ghost = { id: 'd0d1dead-0000-4000-8000-000000000001', username: 'ghost', roles: ['admin', 'officer', 'enumerator', 'evaluator', 'visitor', 'system'], level: null, region: '411282' };
  tokens.set('ghost', `Bearer ${signToken(svc.app, ghost as Principal, '1h')}`);
  tokens.set('basic', 'Basic YWRtaW46YWRtaW4=');
  tokens.set('empty', '');
  tokens.set('huge', `Bearer ${'a'.repeat(20_000)}`);
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  tokens.set('algNone', `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: p.id, username: 'admin', roles: ['admin'], level: null, region: '41', iss: 'doudi', iat: now, exp: now + 3600 })}.`);
  tokens.set('none', '');
}

/** A few cases at several steps, a facility, a guardian and a webhook: ids for the pools. */
async function buildWorld() {
  const ok = async (who: TestUser, method: 'GET' | 'POST' | 'PATCH', url: string, body?: unknown) => {
    const r = await svc.as(who, method, url, body);
    if (r.status >= 300) throw new Error(`setup ${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  let n = 0;
  const survey = (village: string = V.sunjiagou) => {
    n += 1;
    const birth = `19${40 + n}-0${1 + (n % 9)}-1${n % 10}`;
    const first17 = `411282${birth.replaceAll('-', '')}${String(500 + n * 2 + 1).padStart(3, '0')}`;
    return {
      villageCode: village, address: `fuzz 户 ${n}`, poorId: null, legalSupporter: null,
      members: [{ name: `成员${n}`, idNumber: first17 + residentIdCheckChar(first17), birthDate: birth, sex: 'male', relation: '户主', labourCapacity: 'none' }],
    };
  };
  const open = async (village?: string) => {
    const r = await ok('enumerator', 'POST', '/households', survey(village));
    return { id: r.caseId as string, members: (r.household.members as { id: string }[]).map((m) => m.id) };
  };
  const event = (who: TestUser, id: string, body: object) => ok(who, 'POST', `/cases/${id}/events`, body);
  const toReview = async () => {
    const c = await open();
    await event('enumerator', c.id, { type: 'SUBMIT_SURVEY' });
    await event('evaluator', c.id, { type: 'START_EVALUATION' });
    for (const memberId of c.members) {
      await event('evaluator', c.id, { type: 'RECORD_ASSESSMENT', assessment: { memberId, categories: ['elderly'], labourCapacity: 'none', evidence: ['证明'] } });
    }
    await event('evaluator', c.id, { type: 'SUBMIT_EVALUATION', conclusion: '符合' });
    return c;
  };
  const toPublicity = async () => {
    const c = await toReview();
    await event('village', c.id, { type: 'APPROVE' });
    await event('township', c.id, { type: 'APPROVE' });
    await event('county', c.id, { type: 'APPROVE' });
    return c;
  };

  const facility = await ok('admin', 'POST', '/facilities', { name: '模糊测试敬老院', type: 'nursing_home', regionCode: V.sunjiagou, beds: 40, caregivers: 10 });
  pools.facility.push(facility.id);
  const guardian = await ok('officer', 'POST', '/guardians', { name: '邻居王某', kind: 'neighbour', regionCode: '411282108', phone: '13800000000' });
  pools.guardian.push(guardian.id);
  const webhook = await ok('admin', 'POST', '/webhooks', { regionPrefix: '411282', url: 'https://sms.example.cn/doudi' });
  pools.webhook.push(webhook.id);

  const made = [await open(), await open(V.mingshan), await open(), await toReview(), await toReview(), await toPublicity(), await toPublicity(), await toPublicity()];
  const mianchi = survey(V.mianchi);
  mianchi.members = mianchi.members.map((m) => ({ ...m, idNumber: residentId(m.birthDate, 777, '411221') }));
  const inMianchi = await ok('mcEnumerator', 'POST', '/households', mianchi);
  pools.case.push(inMianchi.caseId);
  // Two notices run out (the demo clock), and one case is placed: later steps have cases too.
  await ok('admin', 'POST', '/admin/clock', { advanceDays: 8 });
  await event('system', made[5].id, { type: 'NOTICE_PERIOD_ENDED' });
  await event('system', made[6].id, { type: 'NOTICE_PERIOD_ENDED' });
  const today = (await ok('admin', 'POST', '/admin/clock', { advanceDays: 1 })).today as string;
  await event('officer', made[5].id, { type: 'PLACE', mode: 'centralized_support', startDate: today, facilityId: facility.id });
  for (const c of made) {
    pools.case.push(c.id);
    pools.member.push(...c.members);
  }
  for (const id of pools.case) learn(await ok('citySupervisor', 'GET', `/cases/${id}`));
}

// ---------------------------------------------------------------------------------------------------------------
// Arbitraries.

const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 });
const nastyStrings = fc.constantFrom(
  '', ' ', '\u0000', 'a\u0000b', '\ud800', '\udfff\ud800', '\u202e\u0645', '🧧👨‍👩‍👧', '孙家沟村', 'null', 'undefined', 'NaN', 'true', '[]', '{}', '-1', '0', '1e309',
  '9'.repeat(400), '0000-00-00', '2023-02-29', '9999-12-31', '2026-13-01', '<script>alert(1)</script>', "'; drop table cases; --", '../../etc/passwd',
  '%00', '%zz', '${7*7}', '411282108201', '41128219470210011X', '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff',
);
const anyString = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 3, arbitrary: nastyStrings },
  { weight: 1, arbitrary: fc.integer({ min: 4001, max: 70_000 }).map((n) => '长'.repeat(n)) },
);
/** A value of the wrong kind (or a nasty one of the right kind). */
const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: fc.constant(null) },
  { weight: 2, arbitrary: anyString },
  { weight: 2, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.constantFrom(-1, 0, 1e308, -1e308, 2 ** 53, 0.5, -0)) },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }) },
  { weight: 1, arbitrary: fc.constant(JSON.parse('{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}}}')) },
);

const poolRef = (pool: PoolName): fc.Arbitrary<PoolRef> => fc.nat({ max: 10_000 }).map((i) => ({ $pool: pool, i }));
const uuidLike = fc.oneof(fc.uuid(), fc.constantFrom('00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', 'D0D10000-0000-4000-8000-000000000101'));
/** An id for a path or a field: mostly real (from the pool), sometimes a random uuid, sometimes not a uuid at all. */
const idFor = (pool: PoolName): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 6, arbitrary: poolRef(pool) }, { weight: 2, arbitrary: uuidLike }, { weight: 2, arbitrary: fc.oneof(anyString, fc.integer()) });

const isoDate = fc.date({ min: new Date('2024-01-01T00:00:00Z'), max: new Date('2028-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
const birthDate = fc.date({ min: new Date('1920-01-01T00:00:00Z'), max: new Date('2023-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));

function residentId(birth: string, seq: number, area = '411282'): string {
  const first17 = `${area}${birth.replaceAll('-', '')}${String(seq).padStart(3, '0')}`;
  return first17 + residentIdCheckChar(first17);
}

/** Field names whose values must be real to get anywhere. */
const hints: Record<string, () => fc.Arbitrary<unknown>> = {
  memberId: () => fc.oneof({ weight: 3, arbitrary: poolRef('member').map((r) => ({ ...r, ofCase: true })) }, { weight: 1, arbitrary: idFor('member') }),
  facilityId: () => idFor('facility'),
  guardianId: () => idFor('guardian'),
  objectionId: () => fc.oneof(fc.constantFrom('o-1', 'o-2', 'obj-1'), fc.string({ minLength: 1, maxLength: 10 })),
  villageCode: () => fc.oneof({ weight: 4, arbitrary: fc.constantFrom(V.sunjiagou, V.mingshan) }, { weight: 1, arbitrary: fc.constantFrom(V.mianchi, '411282108299', '110101001001') }),
  regionCode: () => fc.constantFrom(V.sunjiagou, V.mingshan, '411282108', V.mianchi, '411221100', '999999999999'),
  regionPrefix: () => fc.constantFrom('41', '4112', '411282', '411282108', V.sunjiagou, '411221', '11', '99'),
  region: () => fc.constantFrom('41', '4112', '411282', '411282108', V.sunjiagou, '411221'),
  url: () => fc.oneof(fc.webUrl(), fc.constantFrom('ftp://x.example', 'http://user:pw@x.example/', 'javascript:alert(1)', 'http://127.0.0.1:1/x', 'https://例子.测试/路径')),
  year: () => fc.integer({ min: 1999, max: 2101 }),
};

const PATTERN_DATE = '^\\d{4}-\\d{2}-\\d{2}$';
const PATTERN_ID = '^\\d{17}[\\dXx]$';

/** Valid-shaped values for a JSON schema (OpenAPI 3.0 or draft 2020-12, as zod and fastify emit them). */
function fromSchema(schema: Schema | undefined, name = '', depth = 0): fc.Arbitrary<unknown> {
  if (!schema || depth > 6) return fc.jsonValue({ maxDepth: 1 });
  if (schema.$ref) return fromSchema(doc.components?.schemas?.[String(schema.$ref).split('/').pop()!], name, depth + 1);
  if (name && hints[name] && schema.type !== 'object' && schema.type !== 'array') return hints[name]();
  const base = baseFromSchema(schema, name, depth);
  return schema.nullable ? fc.oneof({ weight: 4, arbitrary: base }, { weight: 1, arbitrary: fc.constant(null) }) : base;
}

function baseFromSchema(schema: Schema, name: string, depth: number): fc.Arbitrary<unknown> {
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(alternatives)) return fc.oneof(...alternatives.map((s: Schema) => fromSchema(s, name, depth + 1)));
  if (Array.isArray(schema.allOf) && schema.allOf.length) return fromSchema(schema.allOf[0], name, depth + 1);
  const type = Array.isArray(schema.type) ? schema.type.find((t: string) => t !== 'null') : schema.type;
  switch (type) {
    case 'string': {
      if (schema.pattern === PATTERN_DATE) return name === 'birthDate' ? birthDate : isoDate;
      if (schema.pattern === PATTERN_ID) return fc.tuple(birthDate, fc.integer({ min: 0, max: 999 })).map(([b, s]) => residentId(b, s));
      if (schema.format === 'uuid') return uuidLike;
      if (schema.format === 'date-time') return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
      if (typeof schema.pattern === 'string') {
        try {
          return fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length <= (schema.maxLength ?? 200));
        } catch {
          return fc.string({ maxLength: 20 });
        }
      }
      const minLength = schema.minLength ?? 0;
      const maxLength = Math.max(minLength, Math.min(schema.maxLength ?? 30, 30));
      return fc.oneof(fc.string({ minLength, maxLength }), fc.string({ unit: 'grapheme', minLength, maxLength })).map((s) => (minLength > 0 && !s.trim() ? `x${s}` : s));
    }
    case 'integer':
    case 'number': {
      const min = Math.max(schema.minimum ?? -1000, -1_000_000);
      const max = Math.min(schema.maximum ?? 1000, 1_000_000);
      return type === 'integer' ? fc.integer({ min, max }) : fc.double({ min, max, noNaN: true });
    }
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(fromSchema(schema.items, name, depth + 1), { minLength: schema.minItems ?? 0, maxLength: Math.max(schema.minItems ?? 0, Math.min(schema.maxItems ?? 3, 3)) });
    case 'object': {
      const props: Record<string, Schema> = schema.properties ?? {};
      const required = new Set<string>(schema.required ?? []);
      const keys = Object.keys(props);
      if (!keys.length) {
        if (schema.additionalProperties === false || !schema.additionalProperties) return fc.constant({});
        return fc.dictionary(fc.string({ maxLength: 12 }), fromSchema(schema.additionalProperties === true ? undefined : schema.additionalProperties, '', depth + 1), { maxKeys: 3 });
      }
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      for (const k of keys) model[k] = fromSchema(props[k], k, depth + 1);
      return fc.record(model, { requiredKeys: keys.filter((k) => required.has(k)) });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** Every path into a value (objects and arrays), for breaking one field. */
function pathsOf(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (isPoolRef(value)) return out;
  if (Array.isArray(value)) value.forEach((v, i) => (out.push([...prefix, i]), pathsOf(v, [...prefix, i], out)));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) (out.push([...prefix, k]), pathsOf(v, [...prefix, k], out));
  return out;
}

/** The value with the field at (k mod number of fields) replaced by `wrong` (deleted when undefined), or an extra key. */
function breakOne(value: unknown, k: number, wrong: unknown, extraKey: string | null): unknown {
  const copy = structuredClone(value);
  if (extraKey !== null && copy && typeof copy === 'object' && !Array.isArray(copy)) {
    Object.defineProperty(copy, extraKey, { value: wrong ?? 1, enumerable: true, writable: true, configurable: true });
    return copy;
  }
  const paths = pathsOf(copy);
  if (!paths.length) return wrong;
  const path = paths[k % paths.length];
  let parent = copy as Record<string | number, unknown>;
  for (const p of path.slice(0, -1)) parent = parent[p] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (wrong === undefined && !Array.isArray(parent)) delete parent[last];
  else parent[last] = wrong;
  return copy;
}

/** Valid-shaped (50%), one field broken (40%), or anything at all (10%). */
function bodyLike(valid: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 10, arbitrary: valid },
    { weight: 8, arbitrary: fc.tuple(valid, fc.nat(), wrongValue, fc.option(fc.constantFrom('extra', '__proto__', 'constructor', 'type', ''), { freq: 5 })).map(([v, k, w, x]) => breakOne(v, k, w, x)) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  );
}

const userArb = fc.oneof({ weight: 12, arbitrary: fc.constantFrom<string>(...USERS) }, { weight: 2, arbitrary: fc.constantFrom<string>(...BAD_AUTH) });

const headerValue = fc.oneof(printable, fc.constantFrom('"3"', 'W/"1"', '*', '"-1"', '"999999999999"', 'abc', 'key-1', 'ключ', ''));
const extraHeaders: fc.Arbitrary<Record<string, string>> = fc.record(
  {
    'if-match': fc.oneof(fc.integer({ min: 0, max: 12 }).map((n) => `"${n}"`), headerValue),
    'idempotency-key': fc.oneof(fc.constantFrom('fuzz-key-1', 'fuzz-key-2', 'fuzz-key-3'), headerValue, fc.constant('k'.repeat(300))),
    'x-request-id': fc.oneof(printable, fc.constant('r'.repeat(200))),
    accept: fc.constantFrom('application/json', 'text/html', '*/*', 'application/xml'),
  },
  { requiredKeys: [] },
);
const contentType = fc.oneof(
  { weight: 12, arbitrary: fc.constant('application/json') },
  {
    weight: 3,
    arbitrary: fc.constantFrom('application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', 'application/vnd.api+json', 'application/*', 'garbage', '', 'APPLICATION/JSON'),
  },
);

interface Operation {
  method: string;
  route: string;
  params: Schema[];
  body: Schema | undefined;
}

function operations(): Operation[] {
  const ops: Operation[] = [];
  for (const [route, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      ops.push({ method: method.toUpperCase(), route, params: op.parameters ?? [], body: op.requestBody?.content?.['application/json']?.schema });
    }
  }
  return ops;
}

const poolOfParam = (route: string): PoolName => {
  if (route.startsWith('/cases/')) return 'case';
  if (route.startsWith('/facilities/')) return 'facility';
  if (route.startsWith('/guardians/')) return 'guardian';
  if (route.startsWith('/webhooks/')) return 'webhook';
  if (route.startsWith('/notifications/')) return 'notification';
  return 'case';
};

function queryArb(params: Schema[]): fc.Arbitrary<string> {
  const query = params.filter((p) => p.in === 'query');
  const one = (p: Schema) =>
    fc.option(
      fc.oneof({ weight: 3, arbitrary: fromSchema(p.schema, p.name) }, { weight: 2, arbitrary: anyString }, { weight: 1, arbitrary: fc.constantFrom('', '-1', '0', '201', '1.5', 'true', '[object Object]') }),
      { freq: 2 },
    );
  return fc
    .tuple(
      fc.tuple(...query.map(one)),
      fc.option(fc.tuple(fc.string({ maxLength: 8 }), anyString), { freq: 6 }),
      fc.option(fc.constantFrom('%zz=1', 'limit=1&limit=2', '&&&', '=x', 'a[b]=1', 'limit', '%00=%00', '__proto__[x]=1', 'after=%E0%A4%A'), { freq: 8 }),
    )
    .map(([values, extra, raw]) => {
      const qs = new URLSearchParams();
      query.forEach((p, i) => {
        const v = values[i];
        if (v !== null && v !== undefined) qs.append(p.name, typeof v === 'string' ? v : JSON.stringify(v));
      });
      if (extra) qs.append(extra[0], extra[1]);
      return [qs.toString(), raw].filter(Boolean).join('&');
    });
}

function pathParamsArb(op: Operation): fc.Arbitrary<Record<string, unknown>> {
  const names = op.params.filter((p) => p.in === 'path').map((p) => p.name as string);
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const name of names) {
    model[name] =
      name === 'year'
        ? fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1990, max: 2110 }) }, { weight: 1, arbitrary: fc.oneof(anyString, fc.double()) })
        : fc.oneof({ weight: 8, arbitrary: idFor(poolOfParam(op.route)) }, { weight: 1, arbitrary: fc.constantFrom('%', '%zz', '..', '%2e%2e', 'a%2Fb', '%00', '%E4%B8', ' ') });
  }
  return fc.record(model);
}

/** Any documented operation, with schema-shaped parameters and body. */
function routeRequest(op: Operation): fc.Arbitrary<RequestSpec> {
  return fc.record({
    method: fc.constant(op.method),
    route: fc.constant(op.route),
    params: pathParamsArb(op),
    query: queryArb(op.params),
    body: op.body || op.method !== 'GET'
      ? fc.oneof({ weight: 9, arbitrary: bodyLike(fromSchema(op.body)).map((json) => ({ json })) }, { weight: 1, arbitrary: fc.constant(null) })
      : fc.constant(null),
    // Admins and officers often: most writes outside the case path are theirs.
    user: fc.oneof({ weight: 2, arbitrary: fc.constantFrom<string>('admin', 'officer') }, { weight: 3, arbitrary: userArb }),
    headers: fc.tuple(extraHeaders, contentType).map(([h, ct]) => ({ ...h, 'content-type': ct })),
  });
}

/** Which user usually sends which event (so that a share of the events is allowed). */
const senderOf: Record<string, TestUser[]> = {
  UPDATE_SURVEY: ['enumerator'], SUBMIT_SURVEY: ['enumerator'], REOPEN: ['officer'], START_EVALUATION: ['evaluator'], RECORD_ASSESSMENT: ['evaluator'],
  SUBMIT_EVALUATION: ['evaluator'], APPROVE: ['village', 'township', 'county', 'village2'], RETURN: ['village', 'township', 'county'], REJECT: ['village', 'township', 'county'],
  RECORD_REFUSAL_NOTICE: ['officer'], FILE_OBJECTION: ['officer'], RESOLVE_OBJECTION: ['officer'], NOTICE_PERIOD_ENDED: ['system'], PLACE: ['officer'],
  RECORD_REVISIT: ['visitor'], REQUEST_REASSESSMENT: ['officer'], EXIT: ['officer'], CANCEL_EXIT: ['officer'],
};

function eventRequest(): fc.Arbitrary<RequestSpec> {
  const payloads = Object.fromEntries(
    Object.entries(eventInputSchemas).map(([type, schema]) => [type, fromSchema(z.toJSONSchema(schema as z.ZodType, { io: 'input', unrepresentable: 'any' }) as Schema)]),
  );
  const typed = fc.constantFrom(...eventTypes).chain((type) =>
    fc.tuple(
      fc.constant(type),
      bodyLike(payloads[type].map((p) => ({ type, ...(p as object) }))),
      fc.oneof({ weight: 3, arbitrary: fc.constantFrom<string>(...(senderOf[type] ?? ['officer'])) }, { weight: 1, arbitrary: userArb }),
    ),
  );
  const untyped = fc.tuple(fc.constant('?'), fc.oneof(fc.record({ type: anyString }), fc.jsonValue({ maxDepth: 2 })), userArb);
  return fc
    .tuple(
      fc.oneof({ weight: 9, arbitrary: typed }, { weight: 1, arbitrary: untyped }),
      fc.oneof({ weight: 8, arbitrary: fc.constant(true) }, { weight: 4, arbitrary: fc.constant(false) }),
      fc.oneof({ weight: 12, arbitrary: poolRef('case') }, { weight: 1, arbitrary: idFor('case') }),
      fc.oneof({ weight: 3, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: extraHeaders }),
      fc.oneof({ weight: 9, arbitrary: fc.constant('application/json') }, { weight: 1, arbitrary: contentType }),
    )
    .map(([[type, json, user], aim, ref, headers, ct]) => ({
      id: aim && isPoolRef(ref) ? { ...ref, forEvent: type } : ref,
      json, user, headers, ct,
    }))
    .map(({ id, json, user, headers, ct }) => ({ method: 'POST', route: '/cases/{id}/events', params: { id }, query: '', body: { json }, user, headers: { ...headers, 'content-type': ct } }));
}

/** Near-valid surveys: valid resident ID numbers matching birth date and sex, then (often) one field broken. */
function surveyRequest(): fc.Arbitrary<RequestSpec> {
  const member = fc
    .record({
      name: fc.oneof(fc.constantFrom('孙某', '李某某', '王'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 })),
      birth: birthDate,
      seq: fc.integer({ min: 0, max: 499 }),
      male: fc.boolean(),
      relation: fc.constantFrom('户主', '子', '女', '配偶', '孙子'),
      labourCapacity: fc.constantFrom('none', 'none', 'partial', 'full'),
      disabilities: fc.array(fc.record({ type: fc.constantFrom('physical', 'visual', 'hearing', 'speech', 'intellectual', 'mental'), grade: fc.integer({ min: 1, max: 4 }) }), { maxLength: 2 }),
      seriousIllness: fc.option(fc.constantFrom('慢性肾炎', '尿毒症', '癌症'), { freq: 3 }),
      area: fc.constantFrom('411282', '411282', '411221'),
    })
    .map((m) => ({
      name: m.name,
      idNumber: residentId(m.birth, m.seq * 2 + (m.male ? 1 : 0), m.area),
      birthDate: m.birth,
      sex: m.male ? 'male' : 'female',
      relation: m.relation,
      labourCapacity: m.labourCapacity,
      disabilities: m.disabilities,
      seriousIllness: m.seriousIllness,
    }));
  const survey = fc.record({
    villageCode: hints.villageCode(),
    address: fc.oneof(fc.constant('孙家沟村1组'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).map((s) => `村${s}`)),
    poorId: fc.option(fc.string({ minLength: 1, maxLength: 20 }), { freq: 2 }),
    legalSupporter: fc.option(fc.record({ name: fc.constant('孙大'), relation: fc.constant('子'), phone: fc.constant('13800000000'), address: fc.constant('郑州') }), { freq: 2 }),
    members: fc.array(member, { minLength: 1, maxLength: 4 }),
  });
  return fc
    .tuple(
      fc.oneof(
        { weight: 5, arbitrary: bodyLike(survey) },
        { weight: 1, arbitrary: fc.tuple(survey, fc.nat()).map(([s, k]) => ({ ...s, members: s.members.map((m, i) => (i === 0 ? { ...m, idNumber: `${m.idNumber.slice(0, 17)}${'0123456789X'[k % 11]}` } : m)) })) },
      ),
      fc.oneof({ weight: 6, arbitrary: fc.constant<string>('enumerator') }, { weight: 1, arbitrary: fc.constant<string>('mcEnumerator') }, { weight: 2, arbitrary: userArb }),
      contentType,
    )
    .map(([json, user, ct]) => ({ method: 'POST', route: '/households', params: {}, query: '', body: { json }, user, headers: { 'content-type': ct } }));
}

/** The protocol: methods, unknown routes, malformed JSON, huge and empty bodies, odd URLs, bad tokens. */
function protocolRequest(ops: Operation[]): fc.Arbitrary<RequestSpec> {
  const op = fc.constantFrom(...ops);
  const rawBody = fc.oneof(
    fc.constantFrom('{', '{"type":', '[1,2', 'null', '"x"', '1', 'true', '{"a":1}{"b":2}', '{"__proto__":{"admin":true}}', '\u0000', '\ufeff{}', '{"type":"APPROVE","type":"REJECT"}', ' ', 'x=1&y=2'),
    fc.string({ unit: 'binary', maxLength: 50 }),
    fc.constantFrom(1024 * 1024 - 64, 1024 * 1024 + 1, 2 * 1024 * 1024).map((n) => `{"x":"${'a'.repeat(n)}"}`),
    fc.integer({ min: 1, max: 3000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
    fc.integer({ min: 1, max: 2000 }).map((n) => `{"a":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}`),
  );
  const oddRoute = fc.oneof(
    op.map((o) => o.route),
    fc.constantFrom('/', '/cases/', '/cases//events', '/CASES', '/cases/{id}/events/extra', '/admin', '/docs/json', '/.env', '/openapi.json', '/docs', '/%', '/cases/%E4%B8', '/cases?x=1#frag', '//households', '/households/'),
  );
  return fc.record({
    method: fc.oneof({ weight: 4, arbitrary: op.map((o) => o.method) }, { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS') }),
    route: oddRoute,
    params: fc.record({ id: idFor('case'), year: fc.integer({ min: 1990, max: 2110 }) }),
    query: fc.oneof(fc.constant(''), fc.constantFrom('a=%', 'limit=%ZZ', '=', '&', `x=${'y'.repeat(10_000)}`)),
    body: fc.oneof(fc.constant(null), rawBody.map((raw) => ({ raw }))),
    user: fc.oneof({ weight: 1, arbitrary: fc.constantFrom<string>(...USERS) }, { weight: 1, arbitrary: fc.constantFrom<string>(...BAD_AUTH) }),
    headers: fc.tuple(extraHeaders, contentType, fc.option(fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'x'), { freq: 8 })).map(([h, ct, enc]) => ({ ...h, 'content-type': ct, ...(enc ? { 'content-encoding': enc } : {}) })),
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Sending and checking.

/** The top-level states that take each event (machines/case machine), to aim events at cases they can move. */
const statesFor: Record<string, string[]> = {
  UPDATE_SURVEY: ['survey'], SUBMIT_SURVEY: ['survey'], REOPEN: ['screenedOut', 'rejected'], START_EVALUATION: ['preliminary'],
  RECORD_ASSESSMENT: ['evaluation'], SUBMIT_EVALUATION: ['evaluation'], APPROVE: ['review'], RETURN: ['review'], REJECT: ['review'],
  RECORD_REFUSAL_NOTICE: ['rejected'], FILE_OBJECTION: ['publicity'], RESOLVE_OBJECTION: ['publicity'], NOTICE_PERIOD_ENDED: ['publicity', 'exitNotice'],
  PLACE: ['awaitingPlacement'], RECORD_REVISIT: ['active'], REQUEST_REASSESSMENT: ['active'], EXIT: ['active'], CANCEL_EXIT: ['exitNotice'],
};
const caseState = new Map<string, string>();
const caseMembers = new Map<string, string[]>();

function resolve(value: unknown, ctx: { caseId?: string } = {}): unknown {
  if (isPoolRef(value)) {
    let pool = pools[value.$pool];
    if (value.forEvent) {
      const wanted = statesFor[value.forEvent] ?? [];
      const matching = pool.filter((id) => wanted.includes((caseState.get(id) ?? '').split('.')[0]));
      if (matching.length) pool = matching;
    }
    if (value.ofCase && ctx.caseId && caseMembers.get(ctx.caseId)?.length) pool = caseMembers.get(ctx.caseId)!;
    return pool.length ? pool[value.i % pool.length] : '00000000-0000-4000-8000-000000000000';
  }
  if (Array.isArray(value)) return value.map((v) => resolve(v, ctx));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v, ctx)]));
  return value;
}

/** Learn a case's state and members from a case view (a 2xx answer). */
function learn(view: any): void {
  const id = view?.caseId ?? view?.id;
  if (typeof id !== 'string' || typeof view?.state !== 'string') return;
  caseState.set(id, view.state);
  const members = (view.household?.members ?? []).map((m: { id?: unknown }) => m.id).filter((m: unknown): m is string => typeof m === 'string');
  if (members.length) caseMembers.set(id, members);
}

/** Lone surrogates as U+FFFD, as a client's UTF-8 encoder would send them. */
const wellFormed = (s: string) => s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');

function materialize(spec: RequestSpec) {
  let path = spec.route;
  const ctx: { caseId?: string } = {};
  for (const [name, raw] of Object.entries(spec.params)) {
    const value = resolve(raw);
    if (name === 'id' && typeof value === 'string') ctx.caseId = value;
    const text = typeof value === 'string' ? value : JSON.stringify(value) ?? 'undefined';
    // Already-escaped oddities ('%zz', '%2e%2e') go in as they are; anything else is encoded like a client would.
    path = path.replace(`{${name}}`, /%/.test(text) || text === '..' ? text : encodeURIComponent(wellFormed(text)));
  }
  const url = spec.query ? `${path}?${spec.query}` : path;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(spec.headers)) if (v !== '' || k === 'content-type') headers[k] = v;
  if (headers['content-type'] === '') delete headers['content-type'];
  const auth = tokens.get(spec.user);
  if (auth) headers.authorization = auth;
  const payload = spec.body === null ? undefined : 'raw' in spec.body ? spec.body.raw : JSON.stringify(resolve(spec.body.json, ctx)) ?? 'null';
  if (payload === undefined) delete headers['content-type'];
  return { method: spec.method as 'GET', url, headers, payload };
}

function describeRequest(req: ReturnType<typeof materialize>): string {
  const { authorization, ...others } = req.headers;
  const rest = Object.fromEntries(Object.entries(others).map(([k, v]) => [k, v.length > 80 ? `${v.slice(0, 60)}…(${v.length} chars)` : v]));
  const body = req.payload === undefined ? '' : ` body(${req.payload.length}): ${req.payload.slice(0, 1500)}`;
  return `${req.method} ${req.url.slice(0, 500)} headers ${JSON.stringify(rest).slice(0, 500)} auth ${authorization ? authorization.slice(0, 30) : 'none'}${body}`;
}

/** For the summary: which refusals the fuzzer met (the first field and, with FUZZ_DEBUG=1, its message; the rule). */
function refusalKey(spec: RequestSpec, body: { code: string; details?: any }): string {
  const first = Array.isArray(body.details) ? body.details[0] : undefined;
  const detail =
    body.code === 'VALIDATION_FAILED' ? ` ${first?.path}${process.env.FUZZ_DEBUG ? ` ${first?.message}` : ''}` : body.code === 'GUARD_FAILED' ? ` ${body.details?.rule}` : '';
  return `${spec.route === '/cases/{id}/events' ? 'event' : 'other'} ${body.code}${detail}`;
}

let lastFingerprint = '';
const timing = { inject: 0, fingerprint: 0 };

/** Sends one request and checks the properties. Throws (with the request) when one fails. */
async function check(spec: RequestSpec): Promise<void> {
  const req = materialize(spec);
  const routeKey = `${spec.method} ${spec.route}`;
  const before = lastFingerprint;
  const t0 = performance.now();
  const res = await svc.app.inject(req);
  const t1 = performance.now();
  const after = await fingerprint();
  timing.inject += t1 - t0;
  timing.fingerprint += performance.now() - t1;
  lastFingerprint = after;
  stats.requests += 1;
  stats.byStatus.set(res.statusCode, (stats.byStatus.get(res.statusCode) ?? 0) + 1);
  stats.byRoute.set(routeKey, (stats.byRoute.get(routeKey) ?? 0) + 1);

  const status = res.statusCode;
  const where = () => `\n  request: ${describeRequest(req)}\n  response: ${status} ${res.body.slice(0, 1000)}`;
  if (status >= 500) {
    const logged = svc.logLines.filter((l) => l.includes('"level":50')).slice(-1)[0] ?? '';
    throw new Error(`a ${status}${where()}\n  logged: ${logged.slice(0, 3000)}`);
  }
  if (status >= 400 && spec.method === 'HEAD') {
    // No body on a HEAD answer; the status must still be one the catalogue sends.
    if (!Object.values(errorCatalogue).some((e) => e.status === status)) throw new Error(`HEAD answered ${status}, a status no catalogue code has${where()}`);
    if (after !== before) throw new Error(`a refused request changed the database${where()}`);
    return;
  }
  if (status >= 400) {
    let body: { code?: string; message?: unknown };
    try {
      body = JSON.parse(res.body);
    } catch {
      throw new Error(`a ${status} whose body is not JSON${where()}`);
    }
    if (!body.code || !(errorCodes as string[]).includes(body.code)) throw new Error(`a ${status} without a catalogue code${where()}`);
    const documented = errorCatalogue[body.code as keyof typeof errorCatalogue].status;
    if (documented !== status) throw new Error(`${body.code} sent with ${status}, documented as ${documented}${where()}`);
    const codeKey = refusalKey(spec, body as { code: string; details?: any });
    stats.codes.set(codeKey, (stats.codes.get(codeKey) ?? 0) + 1);
    if (typeof body.message !== 'string') throw new Error(`a ${status} without a message${where()}`);
    if (after !== before) throw new Error(`a refused request changed the database\n  before: ${before}\n  after:  ${after}${where()}`);
    return;
  }
  if ((spec.method === 'GET' || spec.method === 'HEAD') && after !== before) throw new Error(`a GET changed the database\n  before: ${before}\n  after:  ${after}${where()}`);
  stats.okByRoute.set(routeKey, (stats.okByRoute.get(routeKey) ?? 0) + 1);

  // Grow the pools from what was created.
  if (status === 201 || status === 200) {
    let body: any = null;
    try {
      body = res.body ? JSON.parse(res.body) : null;
    } catch {
      return;
    }
    if (spec.route === '/households' && body?.caseId) pools.case.push(body.caseId);
    if (spec.route === '/facilities' && spec.method === 'POST' && body?.id) pools.facility.push(body.id);
    if (spec.route === '/guardians' && spec.method === 'POST' && body?.id) pools.guardian.push(body.id);
    if (spec.route === '/webhooks' && spec.method === 'POST' && body?.id) pools.webhook.push(body.id);
    for (const m of body?.household?.members ?? []) if (typeof m?.id === 'string' && !pools.member.includes(m.id)) pools.member.push(m.id);
    learn(body);
    if (body?.case) learn(body.case); // POST /cases/:id/revisits answers { revisit, case }
  }
}

async function fuzz(name: string, arb: fc.Arbitrary<RequestSpec>, numRuns: number, seedOffset: number) {
  const t0 = Date.now();
  const start = stats.requests;
  lastFingerprint = await fingerprint();
  await fc.assert(
    fc.asyncProperty(arb, async (spec) => check(spec)),
    { seed: SEED + seedOffset, numRuns, endOnFailure: true },
  );
  console.log(`[faults] fuzz ${name}: ${stats.requests - start} requests in ${Date.now() - t0} ms`);
}

describe(`fuzzing every route (seed ${SEED}; FUZZ_SEED=${SEED} replays it)`, () => {
  let ops: Operation[];

  beforeAll(async () => {
    console.log(`[faults] fuzz: seed ${SEED} (set FUZZ_SEED to change it), ${Math.round(TOTAL * SCALE)} requests, database ${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'}`);
    // No request limits: ten thousand requests from one address in a few minutes is the point here.
    svc = await startService({ env: { DEMO_CLOCK: 'on', LOG_LEVEL: 'warn', RATE_LIMIT: '0', RATE_LIMIT_PUBLIC: '0' } });
    buildTokens();
    await buildWorld();
    const counter = await installWriteCounter(svc.database.db);
    fingerprint = counter.fingerprint;
    const watched = counter.tables;
    expect(watched).toEqual(expect.arrayContaining(['cases', 'audit_records', 'households', 'members', 'timers', 'notifications', 'idempotency_keys', 'facilities', 'guardians', 'webhooks']));
    doc = JSON.parse((await svc.app.inject({ method: 'GET', url: '/openapi.json' })).body);
    ops = operations();
  }, 120_000);

  afterAll(async () => {
    await svc?.close();
  });

  it('reads the routes from the OpenAPI document', () => {
    expect(ops.length).toBeGreaterThan(25);
    for (const needed of ['POST /households', 'POST /cases/{id}/events', 'GET /cases', 'GET /inbox', 'GET /overdue', 'GET /facilities', 'GET /guardians', 'GET /notifications', 'POST /webhooks', 'GET /calendar/{year}', 'PUT /settings/deadlines/{scope}']) {
      expect(ops.map((o) => `${o.method} ${o.route}`)).toContain(needed);
    }
  });

  it('surveys with valid resident ID numbers, then one field broken', async () => {
    await fuzz('surveys', surveyRequest(), runs(RUNS.surveys), 1);
  });

  it('events of every type on real cases, with their payloads valid, broken or random', async () => {
    await fuzz('events', eventRequest(), runs(RUNS.events), 2);
  });

  it('every route, with schema-shaped and broken parameters and bodies, as every user', async () => {
    await fuzz('routes', fc.oneof(...ops.map(routeRequest)), runs(RUNS.routes), 3);
  });

  it('the protocol: methods, unknown routes, malformed and huge bodies, odd URLs and content types, bad tokens', async () => {
    await fuzz('protocol', protocolRequest(ops), runs(RUNS.protocol), 4);
  });

  it('covered every route, and left every case row agreeing with an intact audit trail', async () => {
    const summary = {
      requests: stats.requests,
      byStatus: Object.fromEntries([...stats.byStatus].sort((a, b) => a[0] - b[0])),
      cases: pools.case.length,
      accepted: Object.fromEntries([...stats.okByRoute].sort()),
      refusals: Object.fromEntries([...stats.codes].sort((a, b) => b[1] - a[1]).slice(0, 40)),
    };
    console.log('[faults] fuzz summary:', JSON.stringify(summary), JSON.stringify(timing));
    expect(stats.requests).toBeGreaterThanOrEqual(Math.round(TOTAL * SCALE));
    const missed = ops.map((o) => `${o.method} ${o.route}`).filter((k) => (stats.byRoute.get(k) ?? 0) < Math.min(20, 20 * SCALE));
    expect(missed, 'routes the fuzzer hardly reached').toEqual([]);

    const caseRows = rows<{ id: string; state: string; row_version: number; records: number; last_state: string }>(
      await svc.database.db.execute(sql`
        select c.id, c.state, c.row_version,
               (select count(*)::int from audit_records a where a.case_id = c.id) as records,
               (select a.state_after from audit_records a where a.case_id = c.id order by a.seq desc limit 1) as last_state
          from cases c`),
    );
    expect(caseRows.filter((r) => Number(r.records) !== Number(r.row_version) || r.last_state !== r.state)).toEqual([]);
    const broken: string[] = [];
    for (const r of caseRows) if (!(await verifyCaseAudit(svc.database.db, r.id)).ok) broken.push(r.id);
    expect(broken).toEqual([]);
  });
});
