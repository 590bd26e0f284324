// Webhooks end to end: a reminder (a township review left past its deadline, fired by the timer worker) makes
// exactly one delivery per matching webhook, posted once with a signature the receiver verifies; a receiver
// answering 500 then 200 gets the same delivery again after the backoff and it is delivered once; a receiver
// that never answers is given up after 10 attempts; the admin API registers, lists, switches and logs, inside the
// admin's jurisdiction only.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { enqueueDeliveries, rows } from '../../src/db/index.js';
import { claimDueDeliveries, insertWebhook } from '../../src/db/webhooks.js';
import { createLogger } from '../../src/logger.js';
import { createDeliveryWorker, deliveryBackoffMs } from '../../src/scheduler/deliveryWorker.js';
import { createTimerWorker } from '../../src/scheduler/timerWorker.js';
import type { WebhookTargetPolicy } from '../../src/engine/webhookTarget.js';
import { startService, sunSurvey, testDns, testLookup, V, type TestService, type TestUser } from '../helpers/service.js';

let svc: TestService;
let timers: ReturnType<typeof createTimerWorker>;
let deliveries: ReturnType<typeof createDeliveryWorker>;
let targets: WebhookTargetPolicy;
const workerLog: string[] = [];

beforeAll(async () => {
  // The local receivers listen on 127.0.0.1: allow-listed, as an operator would allow a gateway on the LAN.
  svc = await startService({ env: { WEBHOOK_ALLOW_HOSTS: '127.0.0.1' } });
  targets = { allowHosts: svc.config.webhookAllowHosts, lookup: testLookup };
  const sink = new Writable({
    write(chunk, _enc, done) {
      workerLog.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const logger = createLogger(loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'info' }), sink);
  timers = createTimerWorker({ clock: svc.clock, logger, engine: svc.engine });
  deliveries = createDeliveryWorker({ db: svc.database.db, clock: svc.clock, logger, targets });
});
afterAll(async () => {
  for (const r of receivers) await r.close();
  await svc?.close();
});

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  json: Record<string, unknown>;
  signatureValid: boolean;
}

const receivers: Receiver[] = [];
interface Receiver {
  url: string;
  secret: string;
  requests: Received[];
  close(): Promise<void>;
}

/** A local webhook receiver that verifies each signature and answers with the next of `statuses` (then 200). */
async function receiver(statuses: number[] = []): Promise<Receiver> {
  const r: Receiver = { url: '', secret: '', requests: [], close: async () => {} };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      // What a receiver does: HMAC-SHA256 of the raw body with the secret, compared in constant time.
      const expected = Buffer.from(`sha256=${createHmac('sha256', r.secret).update(body).digest('hex')}`);
      const got = Buffer.from(String(req.headers['x-doudi-signature'] ?? ''));
      const signatureValid = got.length === expected.length && timingSafeEqual(got, expected);
      r.requests.push({ headers: req.headers, body, json: JSON.parse(body), signatureValid });
      const status = statuses.shift() ?? 200;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'gateway busy');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  r.url = `http://127.0.0.1:${port}/doudi-hook`;
  r.close = () => new Promise((resolve) => server.close(() => resolve()));
  receivers.push(r);
  return r;
}

const send = async (who: TestUser, caseId: string, body: object) => {
  const r = await svc.as(who, 'POST', `/cases/${caseId}/events`, body);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
};

/** A case walked over HTTP to township review (the village approved); returns its id and deadline. */
async function inTownshipReview(villageCode: string) {
  const opened = await svc.as('enumerator', 'POST', '/households', sunSurvey(villageCode));
  expect(opened.status, JSON.stringify(opened.body)).toBe(201);
  const caseId = opened.body.caseId as string;
  await send('enumerator', caseId, { type: 'SUBMIT_SURVEY' });
  const c = await send('evaluator', caseId, { type: 'START_EVALUATION' });
  for (const m of c.household.members) {
    await send('evaluator', caseId, { type: 'RECORD_ASSESSMENT', assessment: { memberId: m.id, categories: ['elderly'], labourCapacity: 'none', evidence: ['证明'] } });
  }
  await send('evaluator', caseId, { type: 'SUBMIT_EVALUATION', conclusion: '符合' });
  const review = await send('village', caseId, { type: 'APPROVE' });
  expect(review).toMatchObject({ state: 'review', reviewLevel: 'township', deadline: { key: 'review.township' } });
  return { caseId, deadlineAt: new Date(review.deadline.at as string) };
}

async function register(regionPrefix: string, url: string) {
  const r = await svc.as('admin', 'POST', '/webhooks', { regionPrefix, url });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as { id: string; secret: string; regionPrefix: string; url: string; active: boolean };
}

async function patch(who: TestUser, id: string, body: unknown) {
  const res = await svc.app.inject({ method: 'PATCH', url: `/webhooks/${id}`, payload: body as never, headers: { authorization: `Bearer ${svc.token(who)}` } });
  return { status: res.statusCode, body: JSON.parse(res.body) };
}

async function log(id: string, query = '') {
  const r = await svc.as('admin', 'GET', `/webhooks/${id}/deliveries${query}`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body as { items: Record<string, unknown>[]; nextBefore: number | null };
}

describe('a reminder through webhooks', () => {
  it('an overdue township review: one inbox notification, one delivery per matching webhook, posted once and signed', async () => {
    const county = await receiver();
    const village = await receiver();
    const elsewhere = await receiver();
    const hooks = {
      county: await register('411282', county.url),
      village: await register(V.sunjiagou, village.url),
      elsewhere: await register(V.mingshan, elsewhere.url),
    };
    county.secret = hooks.county.secret;
    village.secret = hooks.village.secret;
    elsewhere.secret = hooks.elsewhere.secret;

    const { caseId, deadlineAt } = await inTownshipReview(V.sunjiagou);
    expect(await timers.drain()).toBe(0);
    svc.clock.set(new Date(deadlineAt.getTime() + 60_000));
    expect(await timers.drain()).toBe(1);

    // The inbox: the township reviewer (the one user covering the step) has it.
    const inbox = (await svc.as('township', 'GET', '/notifications?unread=true')).body.items;
    expect(inbox).toEqual([expect.objectContaining({ kind: 'overdue', caseId, title: '乡镇审核已超期' })]);

    // The outbox: one delivery per matching webhook, each posted once.
    expect(await deliveries.drain()).toEqual({ claimed: 2, delivered: 2, retrying: 0, failed: 0 });
    expect(county.requests).toHaveLength(1);
    expect(village.requests).toHaveLength(1);
    expect(elsewhere.requests).toHaveLength(0);
    for (const [r, hook] of [[county, hooks.county], [village, hooks.village]] as const) {
      const [req] = r.requests;
      expect(req.signatureValid).toBe(true);
      expect(req.headers['content-type']).toBe('application/json');
      expect(req.json).toMatchObject({
        kind: 'overdue',
        caseId,
        step: 'review.township',
        deadlineAt: deadlineAt.toISOString(),
        villageCode: V.sunjiagou,
        deliveryId: Number(req.headers['x-doudi-delivery']),
        recipients: [expect.objectContaining({ userId: svc.users.township.id, username: 'township' })],
      });
      const entries = (await log(hook.id)).items;
      expect(entries).toEqual([
        expect.objectContaining({
          id: req.json.deliveryId,
          status: 'delivered',
          attempts: 1,
          lastStatusCode: 200,
          lastError: null,
          nextAttemptAt: null,
          deliveredAt: svc.clock.now().toISOString(),
        }),
      ]);
      // The log shows what was posted (without deliveryId, which is added when posting).
      const { deliveryId: _ignored, ...stored } = req.json;
      expect(entries[0].payload).toEqual(stored);
    }
    // A second signature check: a receiver holding another webhook's secret would refuse it.
    const other = createHmac('sha256', hooks.elsewhere.secret).update(county.requests[0].body).digest('hex');
    expect(county.requests[0].headers['x-doudi-signature']).not.toBe(`sha256=${other}`);

    // Nothing fires or posts twice.
    svc.clock.advance(3_600_000);
    expect(await timers.drain()).toBe(0);
    expect((await deliveries.drain()).claimed).toBe(0);
    expect(county.requests.length + village.requests.length + elsewhere.requests.length).toBe(2);
    const counts = rows<{ n: number }>(await svc.database.db.execute(sql`select count(*)::int as n from webhook_deliveries`));
    expect(counts[0].n).toBe(2);

    for (const hook of Object.values(hooks)) expect((await patch('admin', hook.id, { active: false })).body.active).toBe(false);
  });

  it('a receiver answering 500 then 200: retried after the 30 s backoff with the same delivery id, delivered once', async () => {
    const flaky = await receiver([500]);
    const hook = await register(V.mingshan, flaky.url);
    flaky.secret = hook.secret;
    const { caseId, deadlineAt } = await inTownshipReview(V.mingshan);
    svc.clock.set(new Date(deadlineAt.getTime() + 60_000));
    await timers.drain();

    expect(await deliveries.drain()).toEqual({ claimed: 1, delivered: 0, retrying: 1, failed: 0 });
    const failedAt = svc.clock.now();
    let [entry] = (await log(hook.id)).items;
    expect(entry).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastStatusCode: 500,
      lastError: 'HTTP 500', // the status only: never what the receiver answered
      nextAttemptAt: new Date(failedAt.getTime() + 30_000).toISOString(),
      deliveredAt: null,
    });
    expect(workerLog.some((l) => l.includes('will retry') && l.includes('"level":40'))).toBe(true);

    // Not before the backoff is over.
    svc.clock.advance(29_000);
    expect((await deliveries.drain()).claimed).toBe(0);
    svc.clock.advance(1_000);
    expect(await deliveries.drain()).toEqual({ claimed: 1, delivered: 1, retrying: 0, failed: 0 });

    expect(flaky.requests).toHaveLength(2);
    const [first, second] = flaky.requests;
    expect(first.headers['x-doudi-delivery']).toBe(second.headers['x-doudi-delivery']);
    expect(first.body).toBe(second.body);
    expect(first.json).toMatchObject({ caseId, kind: 'overdue' });
    expect(first.signatureValid && second.signatureValid).toBe(true);
    [entry] = (await log(hook.id)).items;
    expect(entry).toMatchObject({ status: 'delivered', attempts: 2, lastStatusCode: 200, lastError: null, deliveredAt: svc.clock.now().toISOString() });

    svc.clock.advance(3_600_000);
    expect((await deliveries.drain()).claimed).toBe(0);
    expect(flaky.requests).toHaveLength(2);
    await patch('admin', hook.id, { active: false });
  });

  it('a receiver that is down: backoff 30 s, 1 min, 2 min … at most 1 h, then failed after 10 attempts, logged at error', async () => {
    const gone = await receiver();
    await gone.close(); // nothing listens on its port any more
    const hook = await register('411282108', gone.url);
    await enqueueDeliveries(svc.database.db, [{ webhookId: hook.id, payload: { id: 'probe', kind: 'overdue' }, nextAttemptAt: svc.clock.now() }]);

    for (let attempt = 1; attempt <= 10; attempt++) {
      expect((await deliveries.runOnce()).claimed, `attempt ${attempt}`).toBe(1);
      const [entry] = (await log(hook.id)).items;
      expect(entry).toMatchObject({ attempts: attempt, lastStatusCode: null, lastError: expect.stringMatching(/ECONNREFUSED/) });
      if (attempt < 10) {
        const delay = deliveryBackoffMs(attempt);
        expect(delay).toBe(Math.min(3_600_000, 30_000 * 2 ** (attempt - 1)));
        expect(entry).toMatchObject({ status: 'pending', nextAttemptAt: new Date(svc.clock.now().getTime() + delay).toISOString() });
        svc.clock.advance(delay - 1);
        expect((await deliveries.runOnce()).claimed).toBe(0);
        svc.clock.advance(1);
      } else {
        expect(entry).toMatchObject({ status: 'failed', nextAttemptAt: null, deliveredAt: null });
      }
    }
    expect([1, 2, 3, 7, 8, 9].map((n) => deliveryBackoffMs(n) / 1000)).toEqual([30, 60, 120, 1920, 3600, 3600]);
    svc.clock.advance(86_400_000);
    expect((await deliveries.drain()).claimed).toBe(0);
    expect(workerLog.filter((l) => l.includes('giving up') && l.includes('"level":50'))).toHaveLength(1);
    await patch('admin', hook.id, { active: false });
  });

  it('a switched-off webhook’s pending deliveries are held, and go out when it is switched on again', async () => {
    const r = await receiver();
    const hook = await register('411282108', r.url);
    r.secret = hook.secret;
    expect((await patch('admin', hook.id, { active: false })).body.active).toBe(false);
    await enqueueDeliveries(svc.database.db, [{ webhookId: hook.id, payload: { id: 'held', kind: 'overdue' }, nextAttemptAt: svc.clock.now() }]);
    expect((await deliveries.drain()).claimed).toBe(0);
    expect((await log(hook.id)).items[0]).toMatchObject({ status: 'pending', attempts: 0 });
    expect((await patch('admin', hook.id, { active: true })).body.active).toBe(true);
    expect((await deliveries.drain()).delivered).toBe(1);
    expect(r.requests.map((q) => [q.json.id, q.signatureValid])).toEqual([['held', true]]);
    await patch('admin', hook.id, { active: false });
  });
});

describe('the delivery worker', () => {
  it('a worker that died after claiming: the delivery waits out the lease (60 s), then is posted again — at least once', async () => {
    const r = await receiver();
    const hook = await register('411282108', r.url);
    r.secret = hook.secret;
    await enqueueDeliveries(svc.database.db, [{ webhookId: hook.id, payload: { id: 'lease', kind: 'overdue' }, nextAttemptAt: svc.clock.now() }]);
    // A worker claims it and dies before posting or recording anything.
    const now = svc.clock.now();
    const [claimed] = await claimDueDeliveries(svc.database.db, now, new Date(now.getTime() + 60_000), 10);
    expect(claimed).toMatchObject({ webhookId: hook.id, attempts: 1 });
    expect((await deliveries.drain()).claimed).toBe(0);
    svc.clock.advance(60_000);
    expect((await deliveries.drain()).claimed).toBe(0);
    svc.clock.advance(1);
    expect(await deliveries.drain()).toEqual({ claimed: 1, delivered: 1, retrying: 0, failed: 0 });
    expect((await log(hook.id)).items[0]).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(r.requests.map((q) => [q.headers['x-doudi-delivery'], q.signatureValid])).toEqual([[String(claimed.id), true]]);
    await patch('admin', hook.id, { active: false });
  });

  it('three workers draining at once post each delivery once', async () => {
    const r = await receiver();
    const hook = await register('411282108', r.url);
    r.secret = hook.secret;
    await enqueueDeliveries(
      svc.database.db,
      Array.from({ length: 60 }, (_, n) => ({ webhookId: hook.id, payload: { id: `many-${n}` }, nextAttemptAt: svc.clock.now() })),
    );
    const sink = new Writable({ write: (_c, _e, done) => done() });
    const logger = createLogger(loadConfig({ NODE_ENV: 'test' }), sink);
    const trio = [1, 2, 3].map(() => createDeliveryWorker({ db: svc.database.db, clock: svc.clock, logger, targets }, { batchSize: 7 }));
    const rounds = await Promise.all(trio.map((w) => w.drain()));
    expect(rounds.reduce((n, x) => n + x.delivered, 0)).toBe(60);
    const ids = r.requests.map((q) => q.headers['x-doudi-delivery']);
    expect(ids).toHaveLength(60);
    expect(new Set(ids).size).toBe(60);
    expect(r.requests.every((q) => q.signatureValid)).toBe(true);
    expect((await log(hook.id, '?limit=200')).items.every((d) => d.status === 'delivered' && d.attempts === 1)).toBe(true);
    await patch('admin', hook.id, { active: false });
  });

  it('start() polls by itself; stop() waits for the posts in flight and records them; nothing is thrown', async () => {
    const hook = await register('411282108', 'https://sms.example.cn/hook');
    await enqueueDeliveries(svc.database.db, [{ webhookId: hook.id, payload: { id: 'slow', kind: 'overdue' }, nextAttemptAt: svc.clock.now() }]);
    let posted!: () => void;
    const postedP = new Promise<void>((resolve) => (posted = resolve));
    let answer!: () => void;
    const answerP = new Promise<void>((resolve) => (answer = resolve));
    const seen: { url: string; headers: Record<string, string>; body: string }[] = [];
    const fakeFetch = (async (url: string, init: RequestInit) => {
      seen.push({ url, headers: init.headers as Record<string, string>, body: String(init.body) });
      posted();
      await answerP;
      return new Response('ok', { status: 202 });
    }) as unknown as typeof fetch;
    const sink = new Writable({ write: (_c, _e, done) => done() });
    const worker = createDeliveryWorker({ db: svc.database.db, clock: svc.clock, logger: createLogger(loadConfig({ NODE_ENV: 'test' }), sink), targets, fetch: fakeFetch }, { idleMs: 10 });
    worker.start();
    await postedP;
    let stopped = false;
    const stopping = worker.stop().then(() => (stopped = true));
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(stopped).toBe(false);
    answer();
    await stopping;
    expect((await log(hook.id)).items[0]).toMatchObject({ status: 'delivered', attempts: 1, lastStatusCode: 202 });
    expect(seen).toHaveLength(1);
    expect(seen[0].url).toBe('https://sms.example.cn/hook');
    expect(seen[0].headers).toMatchObject({
      'content-type': 'application/json',
      'x-doudi-delivery': expect.stringMatching(/^\d+$/),
      'x-doudi-signature': `sha256=${createHmac('sha256', hook.secret).update(seen[0].body).digest('hex')}`,
    });
    expect(JSON.parse(seen[0].body)).toEqual({ id: 'slow', kind: 'overdue', deliveryId: Number(seen[0].headers['x-doudi-delivery']) });

    // A database that fails under the loop is logged and retried, never thrown.
    const lines: string[] = [];
    const capture = new Writable({
      write(chunk, _e, done) {
        lines.push(String(chunk));
        done();
      },
    });
    let calls = 0;
    const away = new Proxy({}, {
      get: () => {
        calls += 1;
        throw new Error('database away');
      },
    });
    const failing = createDeliveryWorker({ db: away as never, clock: svc.clock, logger: createLogger(loadConfig({ NODE_ENV: 'test' }), capture), targets }, { idleMs: 5 });
    failing.start();
    while (calls < 3) await new Promise((resolve) => setTimeout(resolve, 5));
    await failing.stop();
    expect(lines.filter((l) => l.includes('delivery worker loop failed') && l.includes('database away')).length).toBeGreaterThanOrEqual(2);
    await patch('admin', hook.id, { active: false });
  });
});

describe('the webhook API', () => {
  it('registers (secret shown once), lists without secrets, switches, and pages the log', async () => {
    const created = await svc.as('admin', 'POST', '/webhooks', { regionPrefix: '411282108', url: 'https://sms.example.cn/doudi?channel=1' });
    expect(created.status).toBe(201);
    expect(created.headers.location).toBe(`/webhooks/${created.body.id}`);
    expect(created.body).toMatchObject({ regionPrefix: '411282108', url: 'https://sms.example.cn/doudi?channel=1', active: true, createdBy: 'admin' });
    expect(created.body.secret).toMatch(/^[0-9a-f]{64}$/);

    const list = await svc.as('admin', 'GET', '/webhooks');
    expect(list.status).toBe(200);
    const listed = list.body.webhooks.find((w: { id: string }) => w.id === created.body.id);
    expect(listed).toEqual({ id: created.body.id, regionPrefix: '411282108', url: 'https://sms.example.cn/doudi?channel=1', active: true, createdBy: 'admin', createdAt: expect.any(String) });
    expect(JSON.stringify(list.body)).not.toContain(created.body.secret);
    expect(list.body.webhooks.every((w: object) => !('secret' in w))).toBe(true);

    const off = await patch('admin', created.body.id, { active: false });
    expect(off).toMatchObject({ status: 200, body: { id: created.body.id, active: false } });
    expect(off.body.secret).toBeUndefined();

    await enqueueDeliveries(
      svc.database.db,
      [1, 2, 3].map((n) => ({ webhookId: created.body.id, payload: { id: `p${n}` }, nextAttemptAt: svc.clock.now() })),
    );
    const first = await log(created.body.id, '?limit=2');
    expect(first.items.map((d) => d.payload)).toEqual([{ id: 'p3' }, { id: 'p2' }]);
    expect(first.items[0]).toMatchObject({ status: 'pending', attempts: 0, lastStatusCode: null, lastError: null, deliveredAt: null, createdAt: expect.any(String) });
    const second = await log(created.body.id, `?limit=2&before=${first.nextBefore}`);
    expect(second.items.map((d) => d.payload)).toEqual([{ id: 'p1' }]);
    expect(second.nextBefore).toBeNull();
  });

  it('refuses URLs that are not http(s), credentials in URLs, malformed prefixes and bodies', async () => {
    for (const url of ['ftp://example.cn/hook', 'file:///etc/passwd', 'javascript:alert(1)', 'not a url', 'https://user:pw@example.cn/hook']) {
      const r = await svc.as('admin', 'POST', '/webhooks', { regionPrefix: '411282', url });
      expect(r.status, url).toBe(400);
      expect(r.body).toMatchObject({ code: 'VALIDATION_FAILED', details: [expect.objectContaining({ path: 'body.url' })] });
    }
    for (const regionPrefix of ['41128', 'abc', '']) {
      expect((await svc.as('admin', 'POST', '/webhooks', { regionPrefix, url: 'https://example.cn/hook' })).body.code, regionPrefix).toBe('VALIDATION_FAILED');
    }
    expect((await svc.as('admin', 'POST', '/webhooks', { url: 'https://example.cn/hook' })).status).toBe(400);
    const [some] = (await svc.as('admin', 'GET', '/webhooks')).body.webhooks;
    expect((await patch('admin', some.id, { active: 'yes' })).status).toBe(400);
    expect((await patch('admin', some.id, {})).status).toBe(400);
  });

  it('refuses targets on this server, the private network or the metadata service (422 WEBHOOK_TARGET_REFUSED), however written', async () => {
    const before = (await svc.as('admin', 'GET', '/webhooks')).body.webhooks.length;
    const cases: [string, string][] = [
      ['http://127.0.0.2/hook', 'loopback'], // 127.0.0.1 is allow-listed here; the rest of 127/8 is not
      ['http://localhost:5432/', 'loopback'],
      ['http://[::1]/hook', 'loopback'],
      ['http://[::ffff:127.0.0.2]/hook', 'loopback'],
      ['http://169.254.169.254/latest/meta-data/', 'metadata'],
      ['http://100.100.100.200/latest/meta-data/', 'metadata'],
      ['http://10.0.0.8:6379/', 'private'],
      ['http://192.168.1.1/', 'private'],
      ['http://[fd00::1]/', 'private'],
      ['http://[fe80::1]/', 'link_local'],
      ['http://0.0.0.0:3000/', 'unspecified'],
      ['http://0x7f000001/', 'numeric_host'],
      ['http://2130706433/', 'numeric_host'],
      ['http://0177.0.0.1/', 'numeric_host'],
      ['http://127.1/', 'numeric_host'],
      ['https://nowhere.invalid/hook', 'unresolvable'],
    ];
    for (const [url, reason] of cases) {
      const r = await svc.as('admin', 'POST', '/webhooks', { regionPrefix: '411282', url });
      expect(r.status, url).toBe(422);
      expect(r.body, url).toMatchObject({ code: 'WEBHOOK_TARGET_REFUSED', details: { reason } });
      expect(r.body.message).toContain('WEBHOOK_ALLOW_HOSTS');
    }
    // A name is judged by every address it resolves to.
    testDns.set('intranet.example.cn', [{ address: '101.6.6.6', family: 4 }, { address: '172.20.0.3', family: 4 }]);
    const mixed = await svc.as('admin', 'POST', '/webhooks', { regionPrefix: '411282', url: 'https://intranet.example.cn/hook' });
    expect(mixed.body).toMatchObject({ code: 'WEBHOOK_TARGET_REFUSED', details: { host: 'intranet.example.cn', address: '172.20.0.3', reason: 'private' } });
    expect((await svc.as('admin', 'GET', '/webhooks')).body.webhooks).toHaveLength(before); // nothing registered
    expect(svc.logLines.some((l) => l.includes('webhook registration refused'))).toBe(true);
  });

  it('checks the target again at delivery: a name that now resolves to this server is not posted to', async () => {
    const local = await receiver();
    const { port } = new URL(local.url);
    testDns.set('rebind.example.cn', [{ address: '101.6.6.6', family: 4 }]);
    const hook = await register('411282108', `http://rebind.example.cn:${port}/doudi-hook`);
    // The DNS answer changes after registration (DNS rebinding): now it names the loopback address.
    testDns.set('rebind.example.cn', [{ address: '127.0.0.1', family: 4 }]);
    await enqueueDeliveries(svc.database.db, [{ webhookId: hook.id, payload: { id: 'rebind', kind: 'overdue' }, nextAttemptAt: svc.clock.now() }]);
    expect(await deliveries.runOnce()).toMatchObject({ claimed: 1, delivered: 0, retrying: 1 });
    expect(local.requests).toHaveLength(0);
    const [entry] = (await log(hook.id)).items;
    expect(entry).toMatchObject({ status: 'pending', attempts: 1, lastStatusCode: null, lastError: 'target refused: loopback' });
    expect(workerLog.some((l) => l.includes('webhook target refused at delivery') && l.includes('rebind.example.cn'))).toBe(true);
    await patch('admin', hook.id, { active: false });
    testDns.delete('rebind.example.cn');
  });

  it('an admin works within their jurisdiction only: 403 outside it, 404 for webhooks outside it', async () => {
    for (const regionPrefix of ['411221', '41', '4112']) {
      const r = await svc.as('admin', 'POST', '/webhooks', { regionPrefix, url: 'https://example.cn/hook' });
      expect(r.status, regionPrefix).toBe(403);
      expect(r.body).toMatchObject({ code: 'FORBIDDEN', details: { jurisdiction: regionPrefix } });
    }
    // A webhook of 渑池县 (registered by that county's admin) does not exist for 灵宝市's admin.
    const theirs = await insertWebhook(svc.database.db, { regionPrefix: '411221', url: 'https://mianchi.example.cn/hook', secret: 'x'.repeat(64), createdBy: 'mc-admin' });
    expect((await svc.as('admin', 'GET', '/webhooks')).body.webhooks.map((w: { id: string }) => w.id)).not.toContain(theirs.id);
    expect((await patch('admin', theirs.id, { active: false })).body.code).toBe('NOT_FOUND');
    expect((await svc.as('admin', 'GET', `/webhooks/${theirs.id}/deliveries`)).body.code).toBe('NOT_FOUND');
    expect((await patch('admin', '00000000-0000-4000-8000-000000000000', { active: false })).status).toBe(404);
    expect((await svc.as('admin', 'GET', '/webhooks/not-a-uuid/deliveries')).status).toBe(400);
  });

  it('only admins: 403 FORBIDDEN for every other role', async () => {
    const [hook] = (await svc.as('admin', 'GET', '/webhooks')).body.webhooks;
    for (const who of ['officer', 'supervisor', 'county', 'system'] as const) {
      const post = await svc.as(who, 'POST', '/webhooks', { regionPrefix: '411282', url: 'https://example.cn/hook' });
      expect(post.status, who).toBe(403);
      expect(post.body).toMatchObject({ code: 'FORBIDDEN', details: { roles: ['admin'] } });
      expect((await svc.as(who, 'GET', '/webhooks')).status).toBe(403);
      expect((await patch(who, hook.id, { active: false })).status).toBe(403);
      expect((await svc.as(who, 'GET', `/webhooks/${hook.id}/deliveries`)).status).toBe(403);
    }
    expect((await svc.as(null, 'GET', '/webhooks')).status).toBe(401);
  });
});
