// GET /metrics: Prometheus text behind METRICS_TOKEN; series for requests, commands, timers, the webhook outbox
// and command transactions, scraped after real commands and a real timer firing. No label carries a case id,
// a case number or anything personal; the routes are patterns, not URLs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMetricsServer } from '../../src/http/metrics.js';
import { createTimerWorker } from '../../src/scheduler/timerWorker.js';
import { testDbKind } from '../helpers/db.js';
import { startService, sunSurvey, type TestService } from '../helpers/service.js';
import { walker } from '../helpers/walk.js';

const TOKEN = 'metrics-token-for-tests-0123456789';
let s: TestService;

beforeAll(async () => {
  s = await startService({ env: { METRICS_TOKEN: TOKEN } });
});
afterAll(async () => {
  await s?.close();
});

async function scrape() {
  const res = await s.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.body;
}

/** The value of one series (name and exact labels, in the order prom-client writes them); 0 when absent. */
function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

describe(`GET /metrics (${testDbKind()})`, () => {
  it('is refused without the token, with a wrong one, and absent when no token is configured', async () => {
    expect((await s.app.inject({ url: '/metrics' })).statusCode).toBe(401);
    const wrong = await s.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN.slice(0, -1)}x` } });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().code).toBe('UNAUTHENTICATED');
    // A user's token is not the metrics token.
    expect((await s.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${s.token('admin')}` } })).statusCode).toBe(401);
    const off = await startService();
    try {
      expect((await off.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } })).statusCode).toBe(404);
    } finally {
      await off.close();
    }
  });

  it('counts requests by route pattern and status, and commands by event and outcome, with latency histograms', async () => {
    const before = await scrape();
    const { send } = walker(s);
    const created = await s.as('enumerator', 'POST', '/households', sunSurvey());
    expect(created.status).toBe(201);
    const caseId = created.body.caseId as string;
    expect((await send('enumerator', caseId, { type: 'SUBMIT_SURVEY' })).status).toBe(200);
    expect((await send('enumerator', caseId, { type: 'SUBMIT_SURVEY' })).status).toBe(409); // refused: not in survey any more
    expect((await send('enumerator', caseId, { type: 'MADE_UP' })).status).toBe(400);
    expect((await s.as('officer', 'GET', `/cases/${caseId}`)).status).toBe(200);
    const after = await scrape();

    const delta = (series: string) => value(after, series) - value(before, series);
    expect(delta('doudi_commands_total{event="OPEN_CASE",outcome="accepted"}')).toBe(1);
    expect(delta('doudi_commands_total{event="SUBMIT_SURVEY",outcome="accepted"}')).toBe(1);
    expect(delta('doudi_commands_total{event="SUBMIT_SURVEY",outcome="refused"}')).toBe(1);
    expect(delta('doudi_commands_total{event="invalid",outcome="refused"}')).toBe(1); // a made-up type is no new series
    expect(delta('doudi_command_duration_seconds_count{event="SUBMIT_SURVEY"}')).toBe(2);
    expect(value(after, 'doudi_command_duration_seconds_sum{event="OPEN_CASE"}')).toBeGreaterThan(0);
    expect(delta('doudi_http_requests_total{method="POST",route="/households",status="201"}')).toBe(1);
    expect(delta('doudi_http_requests_total{method="POST",route="/cases/:id/events",status="200"}')).toBe(1);
    expect(delta('doudi_http_requests_total{method="POST",route="/cases/:id/events",status="409"}')).toBe(1);
    expect(delta('doudi_http_requests_total{method="GET",route="/cases/:id",status="200"}')).toBe(1);
    expect(delta('doudi_http_request_duration_seconds_count{method="GET",route="/cases/:id"}')).toBe(1);
    expect(value(after, 'doudi_db_commands_in_flight')).toBe(0);

    // Nothing that names a case or a person in any label.
    expect(after).not.toContain(caseId);
    expect(after).not.toContain(created.body.caseNumber);
    const pairs = after.split('\n').filter((l) => !l.startsWith('#')).flatMap((l) => [...l.matchAll(/(\w+)="([^"]*)"/g)]);
    for (const [, , v] of pairs) expect(v).not.toMatch(/\d{17}[\dX]|[0-9a-f]{8}-[0-9a-f]{4}-/); // (values may be long floats: label values only)
    const labels = pairs.map((m) => m[1]);
    expect(labels.length).toBeGreaterThan(0);
    for (const name of labels) expect(['method', 'route', 'status', 'event', 'outcome', 'le', 'kind']).toContain(name);
  });

  it('reports timers due, fired and their lag, and the webhook outbox backlog', async () => {
    const created = await s.as('enumerator', 'POST', '/households', sunSurvey());
    const caseId = created.body.caseId as string;
    const hook = await s.as('admin', 'POST', '/webhooks', { regionPrefix: '411282', url: 'https://hooks.example.cn/metrics' });
    expect(hook.status).toBe(201);
    const before = await scrape();
    expect(value(before, 'doudi_timers_due')).toBe(0);
    // The survey's deadline passes: its overdue reminder is due now.
    s.clock.advanceDays(30);
    const due = await scrape();
    expect(value(due, 'doudi_timers_due')).toBeGreaterThan(0);
    expect(value(due, 'doudi_timers_oldest_due_seconds')).toBeGreaterThan(0);
    const worker = createTimerWorker({ clock: s.clock, logger: s.app.log as never, engine: s.engine });
    const fired = await worker.drain();
    expect(fired).toBeGreaterThan(0);
    const after = await scrape();
    expect(value(after, 'doudi_timers_due')).toBe(0);
    const firedTotal = after.split('\n').filter((l) => l.startsWith('doudi_timers_fired_total{')).reduce((n, l) => n + Number(l.split(' ')[1]), 0);
    const firedBefore = before.split('\n').filter((l) => l.startsWith('doudi_timers_fired_total{')).reduce((n, l) => n + Number(l.split(' ')[1]), 0);
    expect(firedTotal - firedBefore).toBe(fired);
    expect(value(after, 'doudi_timer_lag_seconds_count') - value(before, 'doudi_timer_lag_seconds_count')).toBe(fired);
    // The reminders about a case in 411282 were put in the webhook's outbox; no delivery worker ran.
    expect(value(after, 'doudi_webhook_outbox_pending')).toBeGreaterThan(value(before, 'doudi_webhook_outbox_pending'));
    expect(after).not.toContain(caseId);
  });

  it('a worker serves its own /metrics (WORKER_METRICS_PORT) behind the same token, and nothing else', async () => {
    const server = await startMetricsServer({ token: TOKEN, counts: s.engine.operationalCounts, host: '127.0.0.1', port: 0, logger: s.app.log as never });
    try {
      const { port } = server.server.address() as { port: number };
      const base = `http://127.0.0.1:${port}`;
      expect((await fetch(`${base}/metrics`)).status).toBe(401);
      const ok = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(ok.status).toBe(200);
      const text = await ok.text();
      expect(text).toMatch(/^doudi_timers_fired_total\{kind="\w+"\} [1-9]/m); // fired by the test above, in this process
      expect(text).toMatch(/^doudi_webhook_outbox_pending \d+$/m);
      expect((await fetch(`${base}/cases`, { headers: { authorization: `Bearer ${s.token('admin')}` } })).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
