/**
 * Webhooks: an admin registers where reminders about cases in a region are posted (e.g. an SMS gateway), turns
 * them on and off, and reads their delivery log. An admin sees and manages only webhooks whose region prefix
 * lies within their own jurisdiction; others answer NOT_FOUND, as if they did not exist.
 *
 * The secret (the HMAC-SHA256 key of X-Doudi-Signature) is generated here and returned once, at registration.
 * A URL whose host is (or resolves to) an address webhooks may not reach — loopback, private, link-local,
 * metadata, … (webhookTarget.ts) — is refused as WEBHOOK_TARGET_REFUSED unless the operator allow-listed it.
 */
import { randomBytes } from 'node:crypto';
import type { WebhookDeliveryRow, WebhookRow } from '../db/index.js';
import { findWebhook, insertWebhook, listDeliveries, listWebhooksWithin, setWebhookActive } from '../db/webhooks.js';
import { errors } from '../errors.js';
import { checkWebhookTarget, type TargetRefusal, type TargetRefusalReason } from './webhookTarget.js';
import type { EngineDeps, Principal } from './types.js';

export function webhookView(w: WebhookRow) {
  return { id: w.id, regionPrefix: w.regionPrefix, url: w.url, active: w.active, createdBy: w.createdBy, createdAt: w.createdAt.toISOString() };
}

export function deliveryView(d: WebhookDeliveryRow) {
  return {
    id: d.id,
    notificationId: d.notificationId,
    status: d.status,
    attempts: d.attempts,
    nextAttemptAt: d.status === 'pending' ? d.nextAttemptAt.toISOString() : null,
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    createdAt: d.createdAt.toISOString(),
    deliveredAt: d.deliveredAt?.toISOString() ?? null,
    payload: d.payload,
  };
}

/** Only http(s), never file:, data:, ftp: and the like; no credentials in the URL (they would show in lists). */
export function checkWebhookUrl(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'expected an absolute http:// or https:// URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'only http:// and https:// URLs are allowed';
  if (url.username || url.password) return 'put no credentials in the URL; verify the X-Doudi-Signature header instead';
  return null;
}

const reasonText: Record<TargetRefusalReason, string> = {
  loopback: 'a loopback address (this server itself)',
  private: 'a private network address',
  link_local: 'a link-local address',
  metadata: 'a cloud metadata service',
  unspecified: 'an unspecified address',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
  reserved: 'a reserved or documentation address',
  numeric_host: 'an IPv4 address written in an unusual numeric form; write it as four decimal numbers',
  unresolvable: 'a host name that does not resolve',
};

function refusalMessage(r: TargetRefusal): string {
  const at = r.address && r.address !== r.host ? ` (${r.host} resolves to ${r.address})` : '';
  return `Webhooks may not point at ${reasonText[r.reason]}${at}; an operator may allow a host with WEBHOOK_ALLOW_HOSTS`;
}

export function createWebhookCommands(deps: EngineDeps) {
  const { db, clock } = deps;

  async function visibleWebhook(principal: Principal, id: string): Promise<WebhookRow> {
    const hook = await findWebhook(db, id);
    if (!hook || !hook.regionPrefix.startsWith(principal.region)) throw errors.notFound(`No webhook ${id}`);
    return hook;
  }

  /** Registers a webhook; the only time its secret is ever returned. */
  async function registerWebhook(principal: Principal, input: { regionPrefix: string; url: string }) {
    if (!input.regionPrefix.startsWith(principal.region)) {
      throw errors.forbidden({ jurisdiction: input.regionPrefix }, `regionPrefix must lie within your jurisdiction ${principal.region}`);
    }
    const problem = checkWebhookUrl(input.url);
    if (problem) throw errors.validationFailed([{ path: 'body.url', message: problem }]);
    const target = await checkWebhookTarget(input.url, deps.webhookTargets);
    if (!target.ok) {
      deps.logger.warn({ admin: principal.username, target: target.refusal }, 'webhook registration refused: target not allowed');
      throw errors.webhookTargetRefused(target.refusal, refusalMessage(target.refusal));
    }
    const secret = randomBytes(32).toString('hex');
    const hook = await insertWebhook(db, { regionPrefix: input.regionPrefix, url: input.url, secret, createdBy: principal.username, createdAt: clock.now() });
    return { ...webhookView(hook), secret };
  }

  async function webhooks(principal: Principal) {
    return (await listWebhooksWithin(db, principal.region)).map(webhookView);
  }

  async function updateWebhook(principal: Principal, id: string, patch: { active: boolean }) {
    await visibleWebhook(principal, id);
    const hook = await setWebhookActive(db, id, patch.active);
    if (!hook) throw errors.notFound(`No webhook ${id}`);
    return webhookView(hook);
  }

  /** The delivery log, newest first; pass `nextBefore` as `before` for the next page. */
  async function webhookDeliveries(principal: Principal, id: string, q: { before?: number; limit: number }) {
    await visibleWebhook(principal, id);
    const rows = await listDeliveries(db, { webhookId: id, before: q.before, limit: q.limit + 1 });
    const page = rows.slice(0, q.limit);
    return { items: page.map(deliveryView), nextBefore: rows.length > q.limit ? page[page.length - 1].id : null };
  }

  return { registerWebhook, webhooks, updateWebhook, webhookDeliveries };
}

export type WebhookCommands = ReturnType<typeof createWebhookCommands>;
