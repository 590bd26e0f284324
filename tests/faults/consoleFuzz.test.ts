// Property-based fuzzing (fast-check) of the console (/console): every console route, GET and POST, as every test
// user with a real console session and as nobody (no cookie, a garbage cookie, an ended session). The routes are
// read from the running fastify app (printRoutes), so a new page is fuzzed without a change here; the form field
// names and values are harvested from the pages themselves.
//
// For every request:
//   - never a 5xx (the logged error line is printed);
//   - the answer is an HTML page, or a redirect (302/303) into /console/, or a 204 with an HX-Redirect into /console/;
//   - a POST without a valid CSRF token (as a signed-in user) answers 403 and changes nothing;
//   - a GET, and anything refused, changes nothing (sessions, security_log and rate_limit_hits aside);
//   - a page shown to a role without identity rights holds no full resident ID number (that the request did not
//     carry itself);
//   - no page's text (tags stripped) holds a raw UUID the request did not carry itself.
// And at the end: every case row agrees with its audit trail, and every chain verifies.
//
// The seed is fixed (printed; override with FUZZ_SEED=<n>); FUZZ_SCALE multiplies the number of requests.
import { sql } from 'drizzle-orm';
import { installWriteCounter } from './writeCounter.js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventTypes } from '../../machines/index.js';
import { insertUser, rows, verifyCaseAudit } from '../../src/db/index.js';
import { residentIdCheckChar } from '../../src/domain/residentId.js';
import { rolesSeeingIdNumbers } from '../../src/engine/types.js';
import { textOf } from '../helpers/console.js';
import { idNumber, startService, sunSurvey, V, type TestService, type TestUser } from '../helpers/service.js';

const SEED = Number.parseInt(process.env.FUZZ_SEED ?? '20260303', 10);
const SCALE = Number(process.env.FUZZ_SCALE ?? '1');
const RUNS = 6000;
/** Media types the console sends as downloads (attachments), never as pages. */
const DOWNLOAD_TYPES = ['application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'application/pdf', 'text/csv'];
const runs = Math.max(1, Math.round(RUNS * SCALE));

const USERS = [
  'enumerator', 'evaluator', 'village', 'township', 'county', 'officer', 'visitor', 'supervisor', 'citySupervisor', 'system', 'admin',
  'mcEnumerator', 'mcOfficer',
] as const satisfies readonly TestUser[];
const NOBODY = ['nobody', 'garbageCookie', 'endedSession', 'hugeCookie'] as const;
type Who = (typeof USERS)[number] | (typeof NOBODY)[number];
const CSRF_MODES = ['field', 'header', 'none', 'wrong', 'otherSession', 'twice', 'empty', 'headerWrong'] as const;
type CsrfMode = (typeof CSRF_MODES)[number];
const VALID_CSRF: CsrfMode[] = ['field', 'header'];

interface Route { method: 'GET' | 'POST'; path: string; params: string[] }
type Body =
  | { kind: 'form'; pairs: [string, string][] }
  | { kind: 'json'; value: unknown }
  | { kind: 'multipart'; pairs: [string, string][]; file: string | null }
  | { kind: 'raw'; contentType: string; text: string }
  | { kind: 'none' };
interface Spec {
  route: Route;
  params: Record<string, string>;
  query: [string, string][];
  body: Body;
  who: Who;
  csrf: CsrfMode;
  htmx: boolean;
}

let svc: TestService;
let routes: Route[] = [];
const sessions = new Map<string, { cookie: string; csrf: string }>();
const pools = { caseNumber: [] as string[], username: [] as string[], facility: [] as string[], webhook: [] as string[], notification: [] as string[] };
/** Form fields seen on the pages: name → values seen. */
const fields = new Map<string, Set<string>>();
const worldIds: string[] = [];
const stats = { requests: 0, byStatus: new Map<number, number>(), byRoute: new Map<string, number>(), okByRoute: new Map<string, number>(), csrfRefused: 0, routerRefused: 0 };

// ---------------------------------------------------------------------------------------------------------------
// The database's writes, counted by triggers (tests/faults/writeCounter.ts), set in beforeAll.
let fingerprint: () => Promise<string>;

// ---------------------------------------------------------------------------------------------------------------
// The console's routes, read from the app's route tree.

/** Parse `printRoutes({ commonPrefix: false })`: a tree of path segments, each line `label (METHODS)`. */
function consoleRoutesOf(tree: string): Route[] {
  const out: Route[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([│ ]*)(?:├── |└── )(.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1].length / 4;
    stack.length = depth;
    stack[depth] = m[2];
    if (!m[3]) continue;
    const path = stack.join('');
    if (!path.startsWith('/console')) continue;
    for (const method of m[3].split(',').map((s) => s.trim())) {
      if (method !== 'GET' && method !== 'POST') continue;
      out.push({ method, path, params: [...path.matchAll(/:([A-Za-z]+)/g)].map((x) => x[1]) });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Sessions.

async function startSession(who: TestUser) {
  const started = await svc.engine.accounts.startSession(svc.users[who], { via: 'password' });
  const s = { cookie: `doudi_session=${started.cookie}`, csrf: started.csrfToken };
  sessions.set(who, s);
  return s;
}

function harvest(html: string) {
  for (const m of html.matchAll(/<(input|select|textarea)\b[^>]*>/g)) {
    const name = /\bname="([^"]+)"/.exec(m[0])?.[1];
    if (!name || name === '_csrf') continue;
    const set = fields.get(name) ?? new Set<string>();
    const value = /\bvalue="([^"]*)"/.exec(m[0])?.[1];
    if (value !== undefined && set.size < 30) set.add(value.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'"));
    fields.set(name, set);
  }
  for (const m of html.matchAll(/<option\b[^>]*value="([^"]*)"/g)) {
    const set = fields.get('$option') ?? new Set<string>();
    if (set.size < 60) set.add(m[1]);
    fields.set('$option', set);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The world: cases at several steps, a facility, a webhook, extra users to be the target of admin actions.

async function buildWorld() {
  const ok = async (who: TestUser, method: 'GET' | 'POST', url: string, body?: unknown) => {
    const r = await svc.as(who, method, url, body);
    if (r.status >= 300) throw new Error(`setup ${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const open = async () => {
    const survey = sunSurvey();
    worldIds.push(...survey.members.map((m) => m.idNumber));
    const r = await ok('enumerator', 'POST', '/households', survey);
    pools.caseNumber.push(r.caseNumber);
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
  const facility = await ok('admin', 'POST', '/facilities', { name: '模糊测试敬老院', type: 'nursing_home', regionCode: V.sunjiagou, beds: 40, caregivers: 10 });
  pools.facility.push(facility.id);
  const webhook = await ok('admin', 'POST', '/webhooks', { regionPrefix: '411282', url: 'https://sms.example.cn/doudi' });
  pools.webhook.push(webhook.id);
  await open();
  await open();
  await toReview();
  const c = await toReview();
  await event('village', c.id, { type: 'APPROVE' });
  await event('township', c.id, { type: 'APPROVE' });
  const p = await toReview();
  await event('village', p.id, { type: 'APPROVE' });
  await event('township', p.id, { type: 'APPROVE' });
  await event('county', p.id, { type: 'APPROVE' });
  const mc = sunSurvey(V.mianchi);
  mc.members = mc.members.map((m) => ({ ...m, idNumber: idNumber(m.birthDate, 'male', '411221') }));
  worldIds.push(...mc.members.map((m) => m.idNumber));
  pools.caseNumber.push((await ok('mcEnumerator', 'POST', '/households', mc)).caseNumber);

  // Targets for 停用/启用/重置密码: not the users the fuzzer signs in as (a deactivated fuzzing user would answer
  // nothing but the sign-in page for the rest of the run), plus a few it may try and must be refused on.
  for (const name of ['victim1', 'victim2']) await insertUser(svc.database.db, { username: name, displayName: name, roles: ['enumerator'], jurisdiction: '411282108' });
  pools.username.push('victim1', 'victim2', 'admin', 'mcAdmin', 'provinceAdmin');
  const notes = rows<{ id: unknown }>(await svc.database.db.execute(sql`select id from notifications order by id limit 20`)).map((r) => String(r.id));
  pools.notification.push(...notes, '1', '999999');
}

// ---------------------------------------------------------------------------------------------------------------
// Arbitraries.

const nasty = fc.constantFrom(
  '', ' ', '\u0000', 'a\u0000b', '\ud800', '\udfff\ud800', '\u202e\u0645', '🧧👨‍👩‍👧', '孙家沟村', 'null', 'undefined', 'NaN', 'true', '[]', '{}', '-1', '0', '1e309',
  '9'.repeat(400), '0000-00-00', '2023-02-29', '9999-12-31', '<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "'; drop table cases; --", '../../etc/passwd',
  '%00', '%zz', '${7*7}', '<%= it %>', '{{7*7}}', '411282108201', '00000000-0000-0000-0000-000000000000', '__proto__', 'constructor', 'toString', '/console/../admin',
  '//evil.example', 'https://evil.example/', 'javascript:alert(1)',
);
const anyString = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 4, arbitrary: nasty },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 80_000 }).map((n) => '长'.repeat(n)) },
);
const pick = <T,>(xs: () => T[], fallback: fc.Arbitrary<T>) => fc.nat({ max: 10_000 }).chain((i) => {
  const a = xs();
  return a.length ? fc.constant(a[i % a.length]) : fallback;
});
/** A value for a field: one seen on a page for it, any value seen on a page, a real id, or garbage. */
const valueFor = (name: string): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 5, arbitrary: pick(() => [...(fields.get(name) ?? [])], anyString) },
    { weight: 2, arbitrary: pick(() => [...(fields.get('$option') ?? [])], anyString) },
    { weight: 1, arbitrary: pick(() => [...pools.facility, ...pools.webhook, ...pools.caseNumber], anyString) },
    { weight: 3, arbitrary: anyString },
  );
const fieldName = fc.oneof(
  { weight: 8, arbitrary: pick(() => [...fields.keys()].filter((k) => k !== '$option'), fc.constant('x')) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '__proto__', '__proto__[admin]', 'constructor[prototype][x]', 'members[__proto__].name', 'members[0].__proto__', 'members[99999999].name', 'members[-1].name',
      'members[0].disabilities[__proto__].grade', 'members[].name', 'members[0]', 'members', 'a[b][c][d][e][f]', 'toString', 'hasOwnProperty', 'rowVersion', 'idempotencyKey',
      'next', 'done', 'unknownField', '',
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);
/** Pairs: fields with values, some repeated (an array where a string is expected). */
const pairs = fc.array(
  fc.tuple(fieldName, fc.integer({ min: 1, max: 3 })).chain(([name, times]) => fc.array(valueFor(name), { minLength: times, maxLength: times }).map((vs) => vs.map((v) => [name, v] as [string, string]))),
  { maxLength: 14 },
).map((xs) => xs.flat());
/** A whole form as a page would post it (all its fields with values seen), then a few changed. */
const pageLike = fc.tuple(fc.nat(), pairs).map(([seed, extra]) => {
  const names = [...fields.keys()].filter((k) => k !== '$option');
  const out: [string, string][] = [];
  names.forEach((n, i) => {
    if ((seed + i) % 3 === 0) return;
    const vs = [...(fields.get(n) ?? [])];
    out.push([n, vs.length ? vs[(seed + i) % vs.length] : '']);
  });
  return [...out, ...extra];
});

const jsonValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.dictionary(fieldName, fc.oneof(anyString, fc.array(anyString, { maxLength: 3 }), fc.jsonValue({ maxDepth: 2 })), { maxKeys: 8 }),
  fc.constant(JSON.parse('{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}},"members":{"__proto__":{"name":"x"}}}')),
  fc.jsonValue({ maxDepth: 3 }),
);

const body: fc.Arbitrary<Body> = fc.oneof(
  { weight: 6, arbitrary: pairs.map((p) => ({ kind: 'form' as const, pairs: p })) },
  { weight: 4, arbitrary: pageLike.map((p) => ({ kind: 'form' as const, pairs: p })) },
  { weight: 1, arbitrary: jsonValue.map((value) => ({ kind: 'json' as const, value })) },
  { weight: 1, arbitrary: fc.tuple(pairs, fc.option(fc.oneof(anyString, fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)), fc.constant('{"holidays":["2026-10-01"],"workdays":[]}')))).map(([p, file]) => ({ kind: 'multipart' as const, pairs: p, file })) },
  {
    weight: 1,
    arbitrary: fc.record({
      contentType: fc.constantFrom('application/x-www-form-urlencoded', 'text/plain', 'application/xml', 'multipart/form-data', 'multipart/form-data; boundary=x', 'application/json', ''),
      text: fc.oneof(anyString, fc.constantFrom('a=%zz&b=%', '%ED%A0%80=%ED%A0%80', 'a=%C0%80', '&&&===', 'a[=1', '_csrf=x&_csrf=y', '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--x--')),
    }).map((r) => ({ kind: 'raw' as const, ...r })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'none' as const }) },
);

const paramValue = (name: string): fc.Arbitrary<string> => {
  const real: Record<string, () => string[]> = {
    caseNumber: () => pools.caseNumber,
    ref: () => pools.caseNumber,
    username: () => pools.username,
    type: () => [...eventTypes],
    id: () => [...pools.facility, ...pools.webhook, ...pools.notification],
  };
  return fc.oneof(
    { weight: 6, arbitrary: pick(real[name] ?? (() => pools.caseNumber), anyString) },
    { weight: 1, arbitrary: fc.oneof(fc.uuid(), fc.constantFrom('411282-2026-000001', '411282-2026-999999', '411221-2026-000001', '0', '-1', 'APPROVE', 'approve')) },
    { weight: 2, arbitrary: anyString },
  );
};

const spec: fc.Arbitrary<Spec> = fc.nat({ max: 1_000_000 }).chain((i) => {
  const route = routes[i % routes.length];
  return fc.record({
    route: fc.constant(route),
    params: fc.record(Object.fromEntries(route.params.map((p) => [p, paramValue(p)]))) as fc.Arbitrary<Record<string, string>>,
    query: fc.oneof({ weight: 3, arbitrary: fc.constant([] as [string, string][]) }, { weight: 1, arbitrary: fc.array(fc.tuple(fieldName, valueFor('$query')), { maxLength: 4 }) },
      { weight: 1, arbitrary: fc.constantFrom<[string, string][]>([['next', '//evil.example']], [['done', 'APPROVE']], [['i', '99']], [['i', '-1']], [['i', '0']], [['page', '999999']], [['q', '孙']], [['state', 'review.county']], [['done', 'deactivate']]) }),
    body: route.method === 'GET' ? fc.constant({ kind: 'none' as const }) : body,
    who: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...USERS) }, { weight: 1, arbitrary: fc.constantFrom(...NOBODY) }) as fc.Arbitrary<Who>,
    csrf: fc.oneof({ weight: 3, arbitrary: fc.constantFrom<CsrfMode>(...VALID_CSRF) }, { weight: 2, arbitrary: fc.constantFrom<CsrfMode>(...CSRF_MODES) }),
    htmx: fc.boolean(),
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Sending a request and checking the answer.

/** Percent-encoding that keeps a lone surrogate (as its CESU-8 bytes) instead of throwing. */
function enc(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c >= 0xd800 && c <= 0xdfff) out += [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    else out += encodeURIComponent(ch);
  }
  return out;
}
const rawBytes = (s: string) => Buffer.from(s.replace(/[\ud800-\udfff]/g, (c) => c), 'utf8');

function urlOf(s: Spec): string {
  const path = s.route.path.replace(/:([A-Za-z]+)/g, (_m, p: string) => enc(s.params[p] ?? ''));
  const q = s.query.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&');
  return q ? `${path}?${q}` : path;
}

async function send(s: Spec) {
  const signedIn = (USERS as readonly string[]).includes(s.who);
  const session = signedIn ? (sessions.get(s.who) ?? (await startSession(s.who as TestUser))) : null;
  const headers: Record<string, string> = {};
  if (session) headers.cookie = session.cookie;
  else if (s.who === 'garbageCookie') headers.cookie = 'doudi_session=garbage.not-a-session; other=1';
  else if (s.who === 'hugeCookie') headers.cookie = `doudi_session=${'x'.repeat(6000)}`;
  else if (s.who === 'endedSession') headers.cookie = endedCookie;
  if (s.htmx) headers['hx-request'] = 'true';
  const other = sessions.get(s.who === 'admin' ? 'enumerator' : 'admin')?.csrf ?? 'x';
  const token = { field: session?.csrf, header: session?.csrf, none: undefined, wrong: 'wrong-token', otherSession: other, twice: session?.csrf, empty: '', headerWrong: session?.csrf }[s.csrf];
  if (s.csrf === 'header') headers['x-csrf-token'] = token ?? 'x';
  if (s.csrf === 'headerWrong') headers['x-csrf-token'] = 'wrong-token';
  const inBody = ['field', 'wrong', 'otherSession', 'twice', 'empty', 'headerWrong'].includes(s.csrf);
  let payload: Buffer | undefined;
  const b = s.body;
  if (b.kind === 'form') {
    const ps: [string, string][] = [...(inBody ? [['_csrf', token ?? ''] as [string, string]] : []), ...(s.csrf === 'twice' ? [['_csrf', token ?? ''] as [string, string]] : []), ...b.pairs];
    payload = Buffer.from(ps.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&'));
    headers['content-type'] = 'application/x-www-form-urlencoded';
  } else if (b.kind === 'json') {
    // Twice: in JSON, an array of two tokens where the one string is expected.
    const field = s.csrf === 'twice' ? [token, token] : token;
    const v = inBody && b.value && typeof b.value === 'object' && !Array.isArray(b.value) ? { _csrf: field, ...b.value } : b.value;
    payload = Buffer.from(JSON.stringify(v ?? null));
    headers['content-type'] = 'application/json';
  } else if (b.kind === 'multipart') {
    const boundary = '----doudi-fuzz-boundary';
    const parts: string[] = [];
    // Twice: the token in two fields, as for a form (it used to be sent once here, i.e. valid: an upload that
    // accepts any file, the import's, then changed the database "without" a token).
    const ps: [string, string][] = [...(inBody ? [['_csrf', token ?? ''] as [string, string]] : []), ...(s.csrf === 'twice' ? [['_csrf', token ?? ''] as [string, string]] : []), ...b.pairs];
    for (const [k, v] of ps) parts.push(`--${boundary}\r\nContent-Disposition: form-data; name="${k.replace(/["\r\n]/g, '')}"\r\n\r\n${v}\r\n`);
    if (b.file !== null) parts.push(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="calendar.json"\r\nContent-Type: application/json\r\n\r\n${b.file}\r\n`);
    parts.push(`--${boundary}--\r\n`);
    payload = rawBytes(parts.join(''));
    headers['content-type'] = `multipart/form-data; boundary=${boundary}`;
  } else if (b.kind === 'raw') {
    payload = rawBytes(b.text);
    if (b.contentType) headers['content-type'] = b.contentType;
  }
  const url = urlOf(s);
  const res = await svc.app.inject({ method: s.route.method, url, headers, ...(payload !== undefined ? { payload } : {}) });
  return { res, url, payload, headers, signedIn };
}

let endedCookie = '';
let lastFingerprint = '';
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const ID18 = /(?<![0-9])[0-9]{17}[0-9X](?![0-9A-Za-z])/g;
const decodes = (p: string) => {
  try {
    decodeURIComponent(p);
    return true;
  } catch {
    return false;
  }
};
const isResidentId = (s: string) => residentIdCheckChar(s.slice(0, 17)) === s[17];

async function check(s: Spec): Promise<void> {
  const before = lastFingerprint;
  const { res, url, payload, headers, signedIn } = await send(s);
  const after = await fingerprint();
  lastFingerprint = after;
  stats.requests += 1;
  const key = `${s.route.method} ${s.route.path}`;
  stats.byRoute.set(key, (stats.byRoute.get(key) ?? 0) + 1);
  stats.byStatus.set(res.statusCode, (stats.byStatus.get(res.statusCode) ?? 0) + 1);
  const status = res.statusCode;
  const shownStatus = status === 200 && res.headers['x-doudi-status'] ? Number(res.headers['x-doudi-status']) : status;
  const sent = `${url} ${payload?.toString('utf8') ?? ''} ${JSON.stringify(s.params)}`.toLowerCase();
  const location = String(res.headers.location ?? '');
  const hxRedirect = String(res.headers['hx-redirect'] ?? '');
  const where = () =>
    `\n  request: ${s.route.method} ${url.slice(0, 400)} as ${s.who} csrf=${s.csrf} htmx=${s.htmx} headers=${JSON.stringify({ ...headers, cookie: headers.cookie ? '…' : undefined })}` +
    ` location=${location}${hxRedirect}\n  body: ${(payload?.toString('utf8') ?? '').slice(0, 1500)}\n  response: ${status} ${JSON.stringify(res.headers).slice(0, 400)} ${res.body.slice(0, 600)}`;

  if (status >= 500) {
    const logged = svc.logLines.filter((l) => l.includes('"level":50')).slice(-1)[0] ?? '';
    throw new Error(`a ${status}${where()}\n  logged: ${logged.slice(0, 3000)}`);
  }
  const asset = s.route.path.includes('*');
  const type = String(res.headers['content-type'] ?? '');
  // A URL the router refuses before any console hook runs (a path parameter over fastify's maxParamLength, or
  // broken percent-encoding): the app-wide frameworkErrors handler answers, in the API's JSON (src/http/app.ts).
  const encodedParams = s.route.params.map((p) => enc(s.params[p] ?? ''));
  const routerRefuses = encodedParams.some((p) => p.length > 100 || !decodes(p));
  if (routerRefuses && status === 400 && type.startsWith('application/json') && JSON.parse(res.body).code === 'BAD_REQUEST') {
    stats.routerRefused += 1;
    if (after !== before) throw new Error(`a refused URL changed the database${where()}`);
    return;
  }
  if (!asset) {
    if (status === 302 || status === 303) {
      if (!location.startsWith('/console/')) throw new Error(`a redirect out of the console: ${location}${where()}`);
    } else if (status === 204) {
      if (!hxRedirect.startsWith('/console/')) throw new Error(`a 204 without an HX-Redirect into the console${where()}`);
    } else if (!type.startsWith('text/html')) {
      // The console's downloads (an import template or report, a printed document): a file, as an attachment,
      // and only to a signed-in person.
      const download = status === 200 && DOWNLOAD_TYPES.some((t) => type.startsWith(t)) && String(res.headers['content-disposition'] ?? '').startsWith('attachment;');
      if (!download) throw new Error(`an answer that is not a page (${type})${where()}`);
      if (!signedIn) throw new Error(`a download for someone not signed in (${type})${where()}`);
    }
  }
  // A signed-in person's POST without a valid CSRF token: refused, 403.
  const urlencoded = s.body.kind === 'form' || (s.body.kind === 'raw' && s.body.contentType === 'application/x-www-form-urlencoded');
  const csrfOk = VALID_CSRF.includes(s.csrf);
  const publicRoute = s.route.path === '/console/login';
  // Sent to sign in again, or to change the password first: consoleAuth answered before the CSRF check (the
  // session was ended by a sign-out or a password reset of one's own account).
  const resent = [location, hxRedirect].some((l) => l.startsWith('/console/login') || l.startsWith('/console/password'));
  if (signedIn && s.route.method === 'POST' && !csrfOk && !publicRoute && !asset && !resent) {
    if (after !== before) throw new Error(`a POST without a valid CSRF token changed the database${where()}`);
    if (urlencoded && (payload?.length ?? 0) < 200_000 && shownStatus !== 403) throw new Error(`a POST without a valid CSRF token answered ${shownStatus}, not 403${where()}`);
    if (shownStatus === 403) stats.csrfRefused += 1;
  }
  if (s.route.method === 'GET' && after !== before) throw new Error(`a GET changed the database\n  before: ${before}\n  after: ${after}${where()}`);
  if (!signedIn && after !== before) throw new Error(`a request without a session changed the database${where()}`);
  if (shownStatus >= 400 && after !== before) throw new Error(`a refused request (${shownStatus}) changed the database${where()}`);
  if (signedIn && shownStatus < 400) stats.okByRoute.set(key, (stats.okByRoute.get(key) ?? 0) + 1);

  if (!asset && type.startsWith('text/html')) {
    const html = res.body;
    // Resident ID numbers: none for a role without identity rights (unless the request carried it).
    const roles = signedIn ? (svc.users[s.who as TestUser].roles as string[]) : [];
    if (!roles.some((r) => (rolesSeeingIdNumbers as readonly string[]).includes(r))) {
      const leaked = [...new Set([...(html.match(ID18) ?? []).filter(isResidentId), ...worldIds.filter((id) => html.includes(id))])].filter((id) => !sent.includes(id.toLowerCase()));
      if (leaked.length) throw new Error(`a page for ${s.who} (${roles.join(',') || 'nobody'}) shows resident ID numbers ${leaked.join(', ')}${where()}`);
    }
    // Raw UUIDs in the text a person reads.
    const text = textOf(html);
    const uuids = [...new Set(text.match(UUID) ?? [])].filter((u) => !sent.includes(u.toLowerCase()));
    if (uuids.length) throw new Error(`a page's text shows raw UUIDs ${uuids.join(', ')}${where()}`);
    if (status === 200 && session(s)) {
      const m = /name="_csrf" value="([^"]+)"/.exec(html);
      if (m) sessions.get(s.who)!.csrf = m[1];
    }
    if (status === 200) harvest(html);
  }
  // The session ended (signed out, or the user was deactivated): a new one for the next request.
  // The session ended (signed out, or an admin reset their own password): a new one for the next request, and
  // the forced password change undone (outside the window the fingerprint watches).
  if (signedIn && resent) {
    sessions.delete(s.who);
    await svc.database.db.execute(sql`update users set must_change_password = false where id = ${svc.users[s.who as TestUser].id}`);
    lastFingerprint = await fingerprint();
  }
}
const session = (s: Spec) => sessions.get(s.who);

// ---------------------------------------------------------------------------------------------------------------

describe(`fuzzing the console (seed ${SEED}; FUZZ_SEED=${SEED} replays it)`, () => {
  beforeAll(async () => {
    svc = await startService({ env: { DEMO_CLOCK: 'on', LOG_LEVEL: 'warn', RATE_LIMIT: '0', RATE_LIMIT_PUBLIC: '0' } });
    await buildWorld();
    fingerprint = (await installWriteCounter(svc.database.db)).fingerprint;
    routes = consoleRoutesOf(svc.app.printRoutes({ commonPrefix: false }));
    const ended = await svc.engine.accounts.startSession(svc.users.visitor, { via: 'password' });
    endedCookie = `doudi_session=${ended.cookie}`;
    await svc.engine.accounts.endSession(ended.cookie, null, {});
    // Crawl every page once as a few people, to learn the forms' field names and values.
    for (const who of ['enumerator', 'evaluator', 'village', 'officer', 'admin', 'county'] as const) {
      const { cookie } = await startSession(who);
      for (const r of routes.filter((x) => x.method === 'GET' && !x.path.includes('*'))) {
        const combos = r.params.length ? (r.params.includes('username') ? pools.username.slice(0, 2) : r.params.includes('id') ? pools.facility : pools.caseNumber) : [''];
        for (const v of combos) {
          const url = r.path.replace(/:([A-Za-z]+)/g, () => encodeURIComponent(v));
          const res = await svc.app.inject({ method: 'GET', url, headers: { cookie } });
          if (res.statusCode === 200) harvest(res.body);
        }
      }
    }
  }, 180_000);

  afterAll(async () => {
    await svc?.close();
  });

  it('reads the console routes from the app', () => {
    const keys = routes.map((r) => `${r.method} ${r.path}`);
    console.log(`[faults] console fuzz: ${routes.length} routes, ${fields.size} form fields harvested; seed ${SEED}, ${runs} requests`);
    for (const k of ['GET /console/', 'GET /console/login', 'POST /console/login', 'GET /console/c/:caseNumber', 'POST /console/c/:caseNumber/events/:type', 'POST /console/survey', 'POST /console/admin/calendar', 'POST /console/admin/users/:username/deactivate']) {
      expect(keys).toContain(k);
    }
  });

  it('every console route, GET and POST, as every user and as nobody', async () => {
    const t0 = Date.now();
    lastFingerprint = await fingerprint();
    await fc.assert(fc.asyncProperty(spec, async (s) => check(s)), {
      seed: SEED, numRuns: runs, endOnFailure: true,
      // The counterexample may hold a string of 80,000 characters: the report is cut to something readable.
      reporter: (out) => {
        if (!out.failed) return;
        const cut = (x: unknown) => String(x).replace(/(.)\1{60,}/gs, (m, c: string) => `${c.repeat(20)}…(${m.length}×)`).slice(0, 6000);
        throw new Error(`property failed (seed ${out.seed}, path ${out.counterexamplePath})\n  counterexample: ${cut(JSON.stringify(out.counterexample))}\n  ${cut(out.errorInstance instanceof Error ? out.errorInstance.message : out.errorInstance)}`);
      },
    });
    console.log(`[faults] console fuzz: ${stats.requests} requests in ${Date.now() - t0} ms`, JSON.stringify({
      byStatus: Object.fromEntries([...stats.byStatus].sort((a, b) => a[0] - b[0])),
      csrfRefused: stats.csrfRefused,
      routerRefused: stats.routerRefused,
      accepted: Object.fromEntries([...stats.okByRoute].sort()),
    }));
    const missed = routes.map((r) => `${r.method} ${r.path}`).filter((k) => (stats.byRoute.get(k) ?? 0) < Math.min(10, 10 * SCALE));
    expect(missed, 'routes the fuzzer hardly reached').toEqual([]);
  });

  it('left every case row agreeing with an intact audit trail', async () => {
    const caseRows = rows<{ id: string; state: string; row_version: number; records: number; last_state: string }>(
      await svc.database.db.execute(sql`
        select c.id, c.state, c.row_version,
               (select count(*)::int from audit_records a where a.case_id = c.id) as records,
               (select a.state_after from audit_records a where a.case_id = c.id order by a.seq desc limit 1) as last_state
          from cases c`),
    );
    expect(caseRows.length).toBeGreaterThan(0);
    expect(caseRows.filter((r) => Number(r.records) !== Number(r.row_version) || r.last_state !== r.state)).toEqual([]);
    const broken: string[] = [];
    for (const r of caseRows) if (!(await verifyCaseAudit(svc.database.db, r.id)).ok) broken.push(r.id);
    expect(broken).toEqual([]);
  });
});
