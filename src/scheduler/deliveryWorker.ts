/**
 * The delivery worker: posts the webhook outbox. The timer worker writes one `webhook_deliveries` row per
 * reminder and matching webhook, in the transaction that fires the reminder, so the *record* exists exactly
 * once. This worker turns each record into HTTP POSTs:
 *
 * 1. Claim: one short statement leases up to `batchSize` due, pending deliveries (`locked_until = now + lease`,
 *    `attempts + 1`, FOR UPDATE SKIP LOCKED), so two workers never post the same delivery at once.
 * 2. Post each, outside any transaction (no connection held during HTTP): the stored payload plus `deliveryId`,
 *    signed `X-Doudi-Signature: sha256=<hex HMAC-SHA256 of the exact body>`, `X-Doudi-Delivery: <id>`, 10 s
 *    timeout, redirects not followed. The target is checked first (engine/webhookTarget.ts: the host resolved,
 *    every address public unless allow-listed) and the connection goes to the checked addresses only.
 * 3. Record: 2xx → delivered; anything else or a network error → pending again after a backoff (30 s, 1 min,
 *    2 min … at most 1 h) with the status code and an error class kept (`HTTP 500`, `ECONNREFUSED`, `timeout`,
 *    `target refused: private` — never the answer's body); after `maxAttempts` attempts → failed, logged at
 *    error.
 *
 * Delivery over HTTP is AT LEAST ONCE: a worker that dies after the receiver got the POST but before step 3
 * leaves the lease to expire, and the delivery is posted again. Receivers dedupe on X-Doudi-Delivery (the same
 * id on every attempt). Nothing is thrown out of the loop; `stop()` waits for the posts in flight.
 */
import { createHmac } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Db, WebhookDeliveryRow, WebhookRow } from '../db/index.js';
import { claimDueDeliveries, findWebhooksByIds, markAttemptFailed, markDelivered } from '../db/webhooks.js';
import { checkWebhookTarget, pinnedLookup, type ResolvedAddress, type TargetRefusal, type WebhookTargetPolicy } from '../engine/webhookTarget.js';
import type { Logger } from '../logger.js';
import { webhookDeliveries } from '../metrics.js';
import type { Clock } from '../time/clock.js';
import { createPollingLoop } from './pollingLoop.js';

export interface DeliveryWorkerOptions {
  /** Deliveries claimed (and posted concurrently) per round. */
  batchSize: number;
  /** Wait between polls when nothing is due. */
  idleMs: number;
  /** Per-request timeout. */
  timeoutMs: number;
  /** How long a claim holds a delivery; longer than the timeout, so a live worker never loses its lease. */
  leaseMs: number;
  /** Attempts before a delivery is given up (status failed, logged at error). */
  maxAttempts: number;
  /** Delay after the first failed attempt; doubles per attempt, at most `maxBackoffMs`. */
  backoffBaseMs: number;
  maxBackoffMs: number;
}

export const defaultDeliveryWorkerOptions: DeliveryWorkerOptions = {
  batchSize: 20,
  idleMs: 1000,
  timeoutMs: 10_000,
  leaseMs: 60_000,
  maxAttempts: 10,
  backoffBaseMs: 30_000,
  maxBackoffMs: 3_600_000,
};

export interface DeliveryWorkerDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  /** Which targets may be posted to (the engine's: WEBHOOK_ALLOW_HOSTS and the resolver). */
  targets: WebhookTargetPolicy;
  /**
   * Tests only: posts through this instead of the pinned node:http client. The target is checked first all
   * the same.
   */
  fetch?: typeof fetch;
}

/** 30 s after the first failed attempt, then 1 min, 2 min, 4 min, … never more than an hour. */
export function deliveryBackoffMs(attempts: number, baseMs = 30_000, maxMs = 3_600_000): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempts - 1));
}

/** `sha256=<hex>`: the X-Doudi-Signature of a body under a webhook's secret. */
export function signatureOf(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** The exact body posted for a delivery: its stored payload plus `deliveryId`. */
export function deliveryBody(d: Pick<WebhookDeliveryRow, 'id' | 'payload'>): string {
  return JSON.stringify({ ...d.payload, deliveryId: d.id });
}

export interface DeliveryRound {
  claimed: number;
  delivered: number;
  retrying: number;
  failed: number;
}

type Outcome = { ok: true; statusCode: number } | { ok: false; statusCode: number | null; error: string; refusal?: TargetRefusal };

/**
 * What the log keeps of a failed attempt: a class, never the receiver's answer or an error's free text (which
 * would show whatever the target sent back). `HTTP 500`, `timeout`, `ECONNREFUSED`, `target refused: loopback`.
 */
export function errorClass(err: unknown): string {
  if (!(err instanceof Error)) return 'error';
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'timeout';
  const code = (err as { code?: unknown }).code ?? (err as { cause?: { code?: unknown } }).cause?.code;
  return typeof code === 'string' && /^[A-Z0-9_]{2,40}$/.test(code) ? code : 'network error';
}

export interface PostRequest {
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

/**
 * POST over node:http/https to the checked addresses only (`pinnedLookup`; an address literal needs no lookup),
 * without following redirects and without reading the answer: its status is all that is kept. TLS still checks
 * the certificate against the URL's host name.
 */
export function postPinned(url: URL, addresses: readonly ResolvedAddress[] | null, req: PostRequest): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
      url,
      {
        method: 'POST',
        headers: { ...req.headers, 'content-length': String(Buffer.byteLength(req.body)) },
        agent: false, // a connection of its own: never one kept alive to another address
        ...(addresses ? { lookup: pinnedLookup(addresses) as never } : {}),
      },
      (res) => {
        clearTimeout(timer);
        resolve(res.statusCode ?? 0);
        res.destroy();
      },
    );
    const timer = setTimeout(() => request.destroy(Object.assign(new Error('timed out'), { name: 'TimeoutError' })), req.timeoutMs);
    request.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    request.end(req.body);
  });
}

export function createDeliveryWorker(deps: DeliveryWorkerDeps, options: Partial<DeliveryWorkerOptions> = {}) {
  const opts = { ...defaultDeliveryWorkerOptions, ...options };
  const log = deps.logger.child({ component: 'delivery-worker' });

  async function post(d: WebhookDeliveryRow, hook: WebhookRow): Promise<Outcome> {
    const body = deliveryBody(d);
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'Doudi-Webhooks/1',
      'x-doudi-delivery': String(d.id),
      'x-doudi-signature': signatureOf(body, hook.secret),
    };
    try {
      // Checked again at every attempt: what the host resolves to may have changed since registration.
      const target = await checkWebhookTarget(hook.url, deps.targets);
      if (!target.ok) return { ok: false, statusCode: null, error: `target refused: ${target.refusal.reason}`, refusal: target.refusal };
      let status: number;
      if (deps.fetch) {
        const res = await deps.fetch(hook.url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(opts.timeoutMs) });
        await res.body?.cancel().catch(() => {});
        status = res.status;
      } else {
        status = await postPinned(target.url, target.addresses, { headers, body, timeoutMs: opts.timeoutMs });
      }
      if (status >= 200 && status < 300) return { ok: true, statusCode: status };
      return { ok: false, statusCode: status, error: `HTTP ${status}` };
    } catch (err) {
      return { ok: false, statusCode: null, error: errorClass(err) };
    }
  }

  /** Posts one claimed delivery and records the result; never throws. */
  async function deliver(d: WebhookDeliveryRow, hook: WebhookRow | undefined): Promise<keyof Omit<DeliveryRound, 'claimed'> | 'lost'> {
    const fields = { deliveryId: d.id, webhookId: d.webhookId, attempts: d.attempts };
    const start = process.hrtime.bigint();
    try {
      // A webhook row cannot vanish (deliveries reference it); this only guards a broken invariant.
      const outcome: Outcome = hook ? await post(d, hook) : { ok: false, statusCode: null, error: 'webhook not found' };
      const at = deps.clock.now();
      if (outcome.ok) {
        await markDelivered(deps.db, d.id, at, outcome.statusCode);
        webhookDeliveries.inc({ outcome: 'delivered' });
        log.info({ ...fields, statusCode: outcome.statusCode, durationMs: Math.round(Number(process.hrtime.bigint() - start) / 1e6) }, 'webhook delivered');
        return 'delivered';
      }
      const retryAt = d.attempts >= opts.maxAttempts ? null : new Date(at.getTime() + deliveryBackoffMs(d.attempts, opts.backoffBaseMs, opts.maxBackoffMs));
      await markAttemptFailed(deps.db, d.id, d.attempts, { statusCode: outcome.statusCode, error: outcome.error, retryAt });
      if (outcome.refusal) log.warn({ ...fields, target: outcome.refusal }, 'webhook target refused at delivery: its host resolves to an address webhooks may not reach');
      if (retryAt) {
        webhookDeliveries.inc({ outcome: 'retrying' });
        log.warn({ ...fields, statusCode: outcome.statusCode, error: outcome.error, retryAt }, 'webhook delivery failed; will retry');
        return 'retrying';
      }
      webhookDeliveries.inc({ outcome: 'failed' });
      log.error({ ...fields, statusCode: outcome.statusCode, error: outcome.error }, 'webhook delivery failed for the last time; giving up');
      return 'failed';
    } catch (err) {
      // The result could not be recorded (database away): the lease runs out and the delivery is posted again.
      log.error({ ...fields, err }, 'could not record a webhook delivery result; it will be retried after its lease');
      return 'lost';
    }
  }

  /** One round: claim due deliveries, post them concurrently, record each result. */
  async function runOnce(): Promise<DeliveryRound> {
    const now = deps.clock.now();
    const claimed = await claimDueDeliveries(deps.db, now, new Date(now.getTime() + opts.leaseMs), opts.batchSize);
    const round: DeliveryRound = { claimed: claimed.length, delivered: 0, retrying: 0, failed: 0 };
    if (claimed.length === 0) return round;
    const hooks = new Map((await findWebhooksByIds(deps.db, [...new Set(claimed.map((d) => d.webhookId))])).map((h) => [h.id, h]));
    const results = await Promise.all(claimed.map((d) => deliver(d, hooks.get(d.webhookId))));
    for (const r of results) if (r !== 'lost') round[r] += 1;
    return round;
  }

  /** Runs rounds until nothing is due (tests use this with a manual clock). */
  async function drain(): Promise<DeliveryRound> {
    const total: DeliveryRound = { claimed: 0, delivered: 0, retrying: 0, failed: 0 };
    for (;;) {
      const round = await runOnce();
      if (round.claimed === 0) return total;
      total.claimed += round.claimed;
      total.delivered += round.delivered;
      total.retrying += round.retrying;
      total.failed += round.failed;
    }
  }

  // A full batch suggests more are due: go again at once. stop() waits for the posts in flight.
  // wake(): a delivery became due now (LISTEN doudi_deliveries, see startWorkers).
  const { start, stop, wake } = createPollingLoop({ name: 'delivery worker', logger: log, idleMs: opts.idleMs, runOnce, busy: (r) => r.claimed >= opts.batchSize });

  return { runOnce, drain, start, stop, wake };
}

export type DeliveryWorker = ReturnType<typeof createDeliveryWorker>;
