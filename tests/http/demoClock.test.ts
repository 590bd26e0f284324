// DEMO_CLOCK=on lets an admin move time forward, so a notice period can end in a demonstration.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, sunSurvey, type TestService } from '../helpers/service.js';

describe('the demo clock', () => {
  let on: TestService;
  let off: TestService;
  beforeAll(async () => {
    [on, off] = await Promise.all([startService({ env: { DEMO_CLOCK: 'on' } }), startService()]);
  });
  afterAll(async () => {
    await on?.close();
    await off?.close();
  });

  it('an admin moves it forward and the engine sees the new time; others may not', async () => {
    const caseId = (await on.as('enumerator', 'POST', '/households', sunSurvey())).body.caseId;
    const before = (await on.as('supervisor', 'GET', `/cases/${caseId}`)).body.openedAt;
    const r = await on.as('admin', 'POST', '/admin/clock', { advanceDays: 7 });
    expect(r.status).toBe(200);
    expect(Date.parse(r.body.now) - Date.parse(before)).toBeGreaterThanOrEqual(7 * 86_400_000);
    const after = await on.as('enumerator', 'POST', `/cases/${caseId}/events`, { type: 'SUBMIT_SURVEY' });
    expect(Date.parse(after.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(r.body.now));

    expect((await on.as('officer', 'POST', '/admin/clock', { advanceDays: 7 })).status).toBe(403);
    const bad = await on.as('admin', 'POST', '/admin/clock', { advanceDays: 0 });
    expect(bad.body.details).toEqual([{ path: 'body.advanceDays', message: 'advanceDays is 1 to 366' }]);
  });

  it('does not exist when DEMO_CLOCK is off', async () => {
    const r = await off.as('admin', 'POST', '/admin/clock', { advanceDays: 7 });
    expect(r.status).toBe(404);
    expect(r.body.code).toBe('NOT_FOUND');
  });
});
