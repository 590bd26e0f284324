/**
 * Prometheus metrics (prom-client), one registry per process, served at GET /metrics (src/http/metrics.ts).
 * Labels are low-cardinality and never personal: route patterns (/cases/:id, never the URL), event types,
 * outcomes, timer kinds — no case ids, case numbers, users or regions. Every series is listed in the README
 * ("Metrics").
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export const registry = new Registry();

const seconds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const httpRequests = new Counter({
  name: 'doudi_http_requests_total',
  help: 'HTTP requests answered, by method, route pattern and status code',
  labelNames: ['method', 'route', 'status'] as const,
  registers: [registry],
});

export const httpDuration = new Histogram({
  name: 'doudi_http_request_duration_seconds',
  help: 'Time to answer an HTTP request, by method and route pattern',
  labelNames: ['method', 'route'] as const,
  buckets: seconds,
  registers: [registry],
});

export const commands = new Counter({
  name: 'doudi_commands_total',
  help: 'Commands (a survey, an event, a timer firing), by event type and outcome: accepted, replayed, refused (a 4xx answer), failed (an error)',
  labelNames: ['event', 'outcome'] as const,
  registers: [registry],
});

export const commandDuration = new Histogram({
  name: 'doudi_command_duration_seconds',
  help: 'Time a command takes in the engine (validation, transaction, commit), by event type',
  labelNames: ['event'] as const,
  buckets: seconds,
  registers: [registry],
});

export const timersFired = new Counter({
  name: 'doudi_timers_fired_total',
  help: 'Timers fired by this process’s timer worker, by kind',
  labelNames: ['kind'] as const,
  registers: [registry],
});

export const timersFailed = new Counter({
  name: 'doudi_timers_failed_total',
  help: 'Timer firings that failed (to be retried, or given up), by kind',
  labelNames: ['kind'] as const,
  registers: [registry],
});

export const timerLag = new Histogram({
  name: 'doudi_timer_lag_seconds',
  help: 'How late a timer fired: firing time minus due time',
  buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
  registers: [registry],
});

export const webhookDeliveries = new Counter({
  name: 'doudi_webhook_deliveries_total',
  help: 'Webhook posts by this process’s delivery worker, by outcome: delivered, retrying, failed (given up)',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const commandsInFlight = new Gauge({
  name: 'doudi_db_commands_in_flight',
  help: 'Command transactions holding a database connection now (this process)',
  registers: [registry],
});

/** Read from the database at each scrape (shared by every process): see setDatabaseGauges. */
export const timersDue = new Gauge({ name: 'doudi_timers_due', help: 'Pending timers whose due time has passed (all processes)', registers: [registry] });
export const timersFailedNow = new Gauge({ name: 'doudi_timers_failed', help: 'Timers that failed for good and wait for an admin (all processes)', registers: [registry] });
export const timersOldestDueSeconds = new Gauge({ name: 'doudi_timers_oldest_due_seconds', help: 'Age of the oldest due, unfired timer (0 when none)', registers: [registry] });
export const outboxPending = new Gauge({ name: 'doudi_webhook_outbox_pending', help: 'Webhook deliveries waiting to be posted (all processes)', registers: [registry] });
export const outboxFailed = new Gauge({ name: 'doudi_webhook_outbox_failed', help: 'Webhook deliveries given up (all processes)', registers: [registry] });
export interface DatabaseCounts {
  timersDue: number;
  timersFailed: number;
  oldestDueSeconds: number;
  outboxPending: number;
  outboxFailed: number;
}

export function setDatabaseGauges(c: DatabaseCounts): void {
  timersDue.set(c.timersDue);
  timersFailedNow.set(c.timersFailed);
  timersOldestDueSeconds.set(c.oldestDueSeconds);
  outboxPending.set(c.outboxPending);
  outboxFailed.set(c.outboxFailed);
}

/** Times `run` as one command: counted by event and outcome, its duration observed, its transaction in flight. */
export async function observeCommand<T>(event: string, run: () => Promise<T>, outcomeOf: (result: T) => 'accepted' | 'replayed' = () => 'accepted'): Promise<{ result: T; seconds: number }> {
  const start = process.hrtime.bigint();
  commandsInFlight.inc();
  try {
    const result = await run();
    const took = Number(process.hrtime.bigint() - start) / 1e9;
    commands.inc({ event, outcome: outcomeOf(result) });
    commandDuration.observe({ event }, took);
    return { result, seconds: took };
  } catch (err) {
    const status = (err as { statusCode?: unknown }).statusCode;
    commands.inc({ event, outcome: typeof status === 'number' && status < 500 ? 'refused' : 'failed' });
    commandDuration.observe({ event }, Number(process.hrtime.bigint() - start) / 1e9);
    throw err;
  } finally {
    commandsInFlight.dec();
  }
}
