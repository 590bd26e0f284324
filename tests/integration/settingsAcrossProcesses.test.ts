// The time settings reach every process (migrations/…_settings_notify.sql, src/engine/timeSettings.ts
// refreshTimeSettings): two service processes on one PostgreSQL database; the deadline policy is changed through
// one, and the other computes deadlines with the new policy within seconds — waited for by polling the deadline it
// computes, no fixed sleep. PostgreSQL only (PGlite is one process).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabaseUrl } from '../helpers/db.js';
import { build, demoToken, freePort, serviceEnv, spawnService, stopService, waitReady, type ServiceProcess } from '../faults/support.js';
import { putGlobalDeadlines, surveyDeadlineOf, waitFor } from '../faults/settingsProbe.js';

const hasPostgres = !!process.env.DATABASE_URL;

describe.skipIf(!hasPostgres)('time settings across service processes (PostgreSQL)', () => {
  let drop: () => Promise<void> = async () => {};
  let a: ServiceProcess | undefined;
  let b: ServiceProcess | undefined;
  let envA: Record<string, string>;

  beforeAll(async () => {
    const db = await createTestDatabaseUrl();
    drop = db.drop;
    build();
    envA = serviceEnv(await freePort(), db.url!);
    a = spawnService(envA, { build: false });
    await waitReady(a, 150_000); // seeds the demo users
    b = spawnService(serviceEnv(await freePort(), db.url!), { build: false });
    await waitReady(b, 60_000);
  }, 240_000);

  afterAll(async () => {
    await stopService(a);
    await stopService(b);
    await drop();
  });

  it('a deadline policy change through one process is applied by the other within seconds', async () => {
    const enumerator = demoToken(envA, 'lb-enumerator');
    const admin = demoToken(envA, 'province-admin');
    const before = await surveyDeadlineOf(b!.base, enumerator);
    expect(await surveyDeadlineOf(a!.base, enumerator)).toBe(before);

    // Much shorter than the default 15 working days (working days end at the end of a day, so two probes a moment apart agree).
    await putGlobalDeadlines(a!.base, admin, { surveySubmitted: { amount: 3, unit: 'working_days' } });
    const changed = await surveyDeadlineOf(a!.base, enumerator);
    expect(changed).not.toBe(before);
    expect(new Date(changed).getTime()).toBeLessThan(new Date(before).getTime());
    const tookMs = await waitFor(() => surveyDeadlineOf(b!.base, enumerator), changed, 10_000);
    console.log(`[settings] the other process computed the new deadline after ${tookMs} ms`);

    // And back: an override dropped ({}) reaches it too.
    await putGlobalDeadlines(b!.base, admin, {});
    expect(await surveyDeadlineOf(b!.base, enumerator)).toBe(before);
    await waitFor(() => surveyDeadlineOf(a!.base, enumerator), before, 10_000);
  }, 60_000);

  it('a calendar change through one process is applied by the other within seconds', async () => {
    const enumerator = demoToken(envA, 'lb-enumerator');
    const admin = demoToken(envA, 'province-admin');
    const before = await surveyDeadlineOf(b!.base, enumerator);
    // Every weekday of the next three weeks (within the year of tomorrow) becomes a holiday: the 15 working days
    // of the survey end later.
    const tomorrow = new Date(Date.now() + 8 * 3600_000 + 86_400_000); // China time, tomorrow
    const year = tomorrow.getUTCFullYear();
    const headers = { authorization: `Bearer ${admin}`, 'content-type': 'application/json' };
    const current = await fetch(`${a!.base}/calendar/${year}`, { headers });
    const file = (await current.json()) as { holidays: { date: string; name: string }[]; workdays: { date: string; name: string }[] };
    const taken = new Set([...file.holidays, ...file.workdays].map((d) => d.date));
    const added: { date: string; name: string }[] = [];
    for (let d = new Date(tomorrow); d.getUTCFullYear() === year && d.getTime() < tomorrow.getTime() + 21 * 86_400_000; d = new Date(d.getTime() + 86_400_000)) {
      const date = d.toISOString().slice(0, 10);
      if (d.getUTCDay() !== 0 && d.getUTCDay() !== 6 && !taken.has(date)) added.push({ date, name: '测试假日' });
    }
    if (added.length === 0) return; // the last day of a year: nothing to add within it
    const put = await fetch(`${a!.base}/calendar/${year}`, {
      method: 'PUT',
      headers: { ...headers, 'if-match': current.headers.get('etag')! },
      body: JSON.stringify({ year, holidays: [...file.holidays, ...added].sort((x, y) => x.date.localeCompare(y.date)), workdays: file.workdays }),
    });
    expect(put.status, await put.clone().text()).toBe(200);
    const changed = await surveyDeadlineOf(a!.base, enumerator);
    expect(new Date(changed).getTime()).toBeGreaterThan(new Date(before).getTime());
    await waitFor(() => surveyDeadlineOf(b!.base, enumerator), changed, 10_000);
  }, 60_000);
});
