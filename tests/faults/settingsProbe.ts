/**
 * Time settings across processes, for the tests that run several service processes on one database
 * (tests/integration/settingsAcrossProcesses.test.ts, tests/faults/multiProcess.test.ts): change the global deadline
 * policy through one process, read the deadline another process computes, and wait for it to agree.
 */
import { sleep, survey } from './support.js';

async function call(base: string, token: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(20_000),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : null };
}

/** Replace the global deadline policy override through one process (as province-admin); returns the new version. */
export async function putGlobalDeadlines(base: string, adminToken: string, override: Record<string, { amount: number; unit: string }>): Promise<number> {
  const current = await call(base, adminToken, 'GET', '/settings/deadlines/global');
  if (current.status !== 200) throw new Error(`GET /settings/deadlines/global: ${current.status} ${JSON.stringify(current.json)}`);
  const r = await call(base, adminToken, 'PUT', '/settings/deadlines/global', override, { 'if-match': current.headers.get('etag')! });
  if (r.status !== 200) throw new Error(`PUT /settings/deadlines/global: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json.version as number;
}

/**
 * The deadline a process computes now: it opens a household (a case in `survey`) and answers with the case's
 * survey deadline, computed by that process with the calendar and the deadline policy it holds in memory.
 */
export async function surveyDeadlineOf(base: string, enumeratorToken: string): Promise<string> {
  const r = await call(base, enumeratorToken, 'POST', '/households', survey());
  if (r.status !== 201) throw new Error(`POST /households: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json.deadline.at as string;
}

/** Polls `probe` until it returns `expected` (a state, not a sleep of a guessed length); returns how long it took. */
export async function waitFor<T>(probe: () => Promise<T>, expected: T, timeoutMs: number): Promise<number> {
  const started = Date.now();
  let last: T | undefined;
  while (Date.now() - started < timeoutMs) {
    last = await probe();
    if (last === expected) return Date.now() - started;
    await sleep(50);
  }
  throw new Error(`still ${String(last)} after ${timeoutMs} ms, expected ${String(expected)}`);
}
