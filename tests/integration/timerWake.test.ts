// LISTEN/NOTIFY wake-ups: with an idle poll of 30 s, a timer that becomes due now (an admin's retry, a row
// inserted due now) fires within well under a second, and the webhook delivery it enqueues is posted as fast;
// commands that plan timers days ahead wake nobody; a LISTEN that fails leaves the workers polling.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/index.js';
import { TIMERS_CHANNEL } from '../../src/db/listen.js';
import { startWorkers, type Workers } from '../../src/scheduler/index.js';
import { testDbKind } from '../helpers/db.js';
import { startService, sunSurvey, type TestService, type TestUser } from '../helpers/service.js';

const IDLE_MS = 30_000;
let svc: TestService;
let workers: Workers | null = null;
let receiver: Server;
let receiverUrl: string;
const received: { at: number; body: { kind: string; caseId: string; timerId: number } }[] = [];

beforeAll(async () => {
  svc = await startService({ env: { WEBHOOK_ALLOW_HOSTS: '127.0.0.1' } }); // the local receiver
  // The triggers compare due times with the database's clock: run the service's clock at real time (frozen).
  svc.clock.set(new Date());
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ at: performance.now(), body: JSON.parse(body) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
});
afterAll(async () => {
  await workers?.stop();
  await new Promise((r) => receiver?.close(r));
  await svc?.close();
});

async function send(who: TestUser, caseId: string, body: object) {
  const r = await svc.as(who, 'POST', `/cases/${caseId}/events`, body);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

async function inEvaluation() {
  const caseId = (await svc.as('enumerator', 'POST', '/households', sunSurvey())).body.caseId as string;
  await send('enumerator', caseId, { type: 'SUBMIT_SURVEY' });
  const c = await send('evaluator', caseId, { type: 'START_EVALUATION' });
  return { caseId, deadlineAt: c.deadline.at as string };
}

const statusOf = async (id: number) =>
  rows<{ status: string; outcome: string | null }>(await svc.database.db.execute(sql`select status, outcome from timers where id = ${id}`))[0];

/** Polls `check` every few ms (no fixed sleep) until it holds; returns the milliseconds it took from `t0`. */
async function until(check: () => Promise<boolean> | boolean, t0: number, limitMs = 5000): Promise<number> {
  for (;;) {
    if (await check()) return performance.now() - t0;
    if (performance.now() - t0 > limitMs) throw new Error(`not within ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe(`workers wake on NOTIFY (${testDbKind()})`, () => {
  it('the migration installed the triggers and the autovacuum settings', async () => {
    const triggers = rows<{ tgname: string }>(
      await svc.database.db.execute(sql`select tgname from pg_trigger where tgrelid in ('timers'::regclass, 'webhook_deliveries'::regclass) and not tgisinternal order by tgname`),
    ).map((r) => r.tgname);
    expect(triggers).toEqual(['timers_notify_insert', 'timers_notify_update', 'webhook_deliveries_notify_insert']);
    const options = rows<{ relname: string; reloptions: string[] | string }>(
      await svc.database.db.execute(sql`select relname, reloptions from pg_class where relname in ('timers', 'webhook_deliveries') order by relname`),
    );
    for (const o of options) expect(String(o.reloptions)).toContain('autovacuum_vacuum_scale_factor=0.01');
    expect(options).toHaveLength(2);
  });

  it('planning timers days ahead notifies nobody; a timer made due now does, once per transaction', async () => {
    const got: string[] = [];
    const unlisten = await svc.database.listen!(TIMERS_CHANNEL, (p) => got.push(p));
    got.length = 0; // postgres.js reports the (re)listen itself as a wake-up
    const marker = async (m: string) => {
      await svc.database.db.execute(sql`select pg_notify(${TIMERS_CHANNEL}, ${m})`);
      await until(() => got.includes(m), performance.now());
    };
    const { caseId } = await inEvaluation(); // three commands, each planning timers weeks ahead
    await marker('after-commands');
    expect(got).toEqual(['after-commands']); // notifications arrive in commit order: nothing came before the marker

    await svc.database.db.transaction(async (tx) => {
      for (let i = 0; i < 3; i++) {
        await tx.execute(sql`insert into timers (case_id, kind, key, due_at) values (${caseId}, 'overdue', ${`test:${i}`}, now())`);
      }
      await tx.execute(sql`update timers set status = 'cancelled' where case_id = ${caseId} and key like 'test:%'`);
    });
    await marker('after-due');
    expect(got).toEqual(['after-commands', '', 'after-due']); // three due inserts in one transaction: one notification
    await unlisten();
  });

  it('with a 30 s idle poll, a retried timer fires and its webhook delivery is posted within well under a second', async () => {
    const hook = await svc.as('admin', 'POST', '/webhooks', { regionPrefix: '411282', url: receiverUrl });
    expect(hook.status, JSON.stringify(hook.body)).toBe(201);
    const { caseId } = await inEvaluation();
    const [timer] = rows<{ id: number }>(
      await svc.database.db.execute(
        sql`update timers set status = 'failed', attempts = 8, last_error = 'gave up' where case_id = ${caseId} and kind = 'overdue' and status = 'pending' returning id::int as id`,
      ),
    );

    workers = startWorkers({
      database: svc.database, engine: svc.engine, clock: svc.clock, logger: svc.app.log as never,
      config: { workerBatch: 50, workerIdleMs: IDLE_MS, webhookAllowHosts: svc.config.webhookAllowHosts },
    });
    await workers.listening;
    // Let the first rounds (nothing due) pass, so that both workers sit in their 30 s idle wait.
    await new Promise((r) => setImmediate(r));

    const sent = performance.now();
    const r = await svc.as('admin', 'POST', `/timers/${timer.id}/retry`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const t0 = performance.now(); // the retry has committed
    const firedMs = await until(async () => (await statusOf(timer.id)).status === 'done', t0);
    const postedMs = await until(() => received.some((d) => d.body.timerId === timer.id), t0);
    expect((await statusOf(timer.id)).outcome).toMatch(/^notified 1 user\(s\), 1 webhook\(s\)/);
    console.info(
      `[${testDbKind()}] retry answered in ${(t0 - sent).toFixed(0)} ms; after it the timer was seen fired in ${firedMs.toFixed(0)} ms ` +
        `and its webhook delivery received in ${postedMs.toFixed(0)} ms (idle poll ${IDLE_MS} ms)`,
    );
    expect(firedMs).toBeLessThan(2000);
    expect(postedMs).toBeLessThan(2000);
  });

  it('a timer inserted due now fires at once', async () => {
    const { caseId, deadlineAt } = await inEvaluation();
    const t0 = performance.now();
    const [timer] = rows<{ id: number }>(
      await svc.database.db.execute(
        sql`insert into timers (case_id, kind, key, due_at, payload) values (${caseId}, 'overdue', 'test:due-now', ${svc.clock.now().toISOString()}::timestamptz, ${JSON.stringify({ step: 'evaluationSubmitted', deadlineAt })}::jsonb) returning id::int as id`,
      ),
    );
    const firedMs = await until(async () => (await statusOf(timer.id)).status === 'done', t0);
    console.info(`[${testDbKind()}] timer inserted due now fired after ${firedMs.toFixed(0)} ms`);
    expect(firedMs).toBeLessThan(2000);
    await workers!.stop();
    workers = null;
  });

  it('a LISTEN that fails is logged; the workers poll as before', async () => {
    const { caseId, deadlineAt } = await inEvaluation();
    const broken = startWorkers({
      database: { db: svc.database.db, kind: svc.database.kind, listen: async () => { throw new Error('LISTEN refused'); } },
      engine: svc.engine, clock: svc.clock, logger: svc.app.log as never,
      config: { workerBatch: 50, workerIdleMs: 20, webhookAllowHosts: svc.config.webhookAllowHosts },
    });
    try {
      await broken.listening;
      expect(svc.logLines.some((l) => l.includes('LISTEN failed; the worker falls back to polling'))).toBe(true);
      const [timer] = rows<{ id: number }>(
        await svc.database.db.execute(
          sql`insert into timers (case_id, kind, key, due_at, payload) values (${caseId}, 'overdue', 'test:polled', ${svc.clock.now().toISOString()}::timestamptz, ${JSON.stringify({ step: 'evaluationSubmitted', deadlineAt })}::jsonb) returning id::int as id`,
        ),
      );
      await until(async () => (await statusOf(timer.id)).status === 'done', performance.now());
    } finally {
      await broken.stop();
    }
  });
});
