// A request that fails in the database must not put the statement's data in the log: no query parameters, no
// PostgreSQL `detail` quoting the failing row, no value in the message — on PostgreSQL (postgres.js) and on
// PGlite alike. The failure is forced with a CHECK constraint that refuses one member's name, so the failing
// statement carries the whole household: name, birth date, diagnosis, ID number.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeliveryWorker } from '../../src/scheduler/deliveryWorker.js';
import { createTimerWorker } from '../../src/scheduler/timerWorker.js';
import { idNumber, startService, sunSurvey, testLookup, type TestService } from '../helpers/service.js';
import { testDbKind } from '../helpers/db.js';

const NAME = '隐私测试员甲';
const BIRTH = '1951-07-13';
const DIAGNOSIS = '胰腺恶性肿瘤晚期';

describe(`no personal data in the log when a statement fails (${testDbKind()})`, () => {
  let s: TestService;
  beforeAll(async () => {
    s = await startService();
    await s.database.db.execute(sql.raw(`alter table members add constraint test_refuse_name check (name <> '${NAME}')`));
  });
  afterAll(async () => {
    await s?.close();
  });

  it('logs the failure with its request id and SQLSTATE, without the row or the parameters', async () => {
    const survey = sunSurvey();
    const id = idNumber(BIRTH, 'female');
    survey.members[1] = { ...survey.members[1], name: NAME, birthDate: BIRTH, idNumber: id, sex: 'female', seriousIllness: DIAGNOSIS } as never;
    const before = s.logLines.length;
    const res = await s.as('enumerator', 'POST', '/households', survey);
    expect(res.status).toBe(500);
    expect(res.body.code).toBe('INTERNAL');

    const logged = s.logLines.slice(before).join('\n');
    const failure = s.logLines.slice(before).map((l) => JSON.parse(l)).find((l) => l.msg === 'request failed');
    expect(failure, logged).toBeDefined();
    expect(JSON.stringify(failure.err)).toContain('23514'); // check_violation: still useful for debugging
    expect(JSON.stringify(failure.err)).toContain('test_refuse_name');
    for (const secret of [NAME, BIRTH, DIAGNOSIS, id, survey.address, survey.members[0].name]) {
      expect(logged, secret).not.toContain(secret);
    }
    expect(logged).not.toMatch(/params|parameters|"query"|Failing row/);
  });
});

describe(`accepted commands and scheduler actions are logged at info, without personal data (${testDbKind()})`, () => {
  let s: TestService;
  beforeAll(async () => {
    s = await startService();
  });
  afterAll(async () => {
    await s?.close();
  });

  it('logs each command with case number, event, actor id and duration; each timer fired and webhook delivered', async () => {
    const survey = sunSurvey();
    const id = idNumber(BIRTH, 'female');
    survey.members[1] = { ...survey.members[1], name: NAME, birthDate: BIRTH, idNumber: id, sex: 'female', seriousIllness: DIAGNOSIS } as never;
    const before = s.logLines.length;
    const hook = await s.as('admin', 'POST', '/webhooks', { regionPrefix: '411282', url: 'https://hooks.example.cn/log' });
    expect(hook.status).toBe(201);
    const created = await s.as('enumerator', 'POST', '/households', survey);
    expect(created.status).toBe(201);
    const caseId = created.body.caseId as string;
    expect((await s.as('enumerator', 'POST', `/cases/${caseId}/events`, { type: 'SUBMIT_SURVEY' })).status).toBe(200);
    s.clock.advanceDays(30); // the evaluation's deadline passes: an overdue reminder fires and goes to the webhook
    const fired = await createTimerWorker({ clock: s.clock, logger: s.app.log as never, engine: s.engine }).drain();
    expect(fired).toBeGreaterThan(0);
    const posted: string[] = [];
    const deliveries = createDeliveryWorker({
      db: s.database.db, clock: s.clock, logger: s.app.log as never, targets: { allowHosts: [], lookup: testLookup },
      fetch: (async (_url: string, init: { body: string }) => { posted.push(init.body); return new Response('', { status: 200 }); }) as never,
    });
    expect((await deliveries.drain()).delivered).toBeGreaterThan(0);

    const lines = s.logLines.slice(before).map((l) => JSON.parse(l));
    const accepted = lines.filter((l) => /^command accepted/.test(l.msg));
    expect(accepted.map((l) => l.event)).toEqual(['OPEN_CASE', 'SUBMIT_SURVEY']);
    for (const l of accepted) {
      expect(l).toMatchObject({ level: 30, caseNumber: created.body.caseNumber, actorId: s.users.enumerator.id, replayed: false });
      expect(l.durationMs).toBeGreaterThanOrEqual(0);
    }
    const timerLines = lines.filter((l) => /^timer fired/.test(l.msg));
    expect(timerLines.length).toBe(fired);
    expect(timerLines[0]).toMatchObject({ level: 30, kind: expect.any(String), timerId: expect.any(Number) });
    expect(timerLines[0].lagMs).toBeGreaterThan(0);
    const delivered = lines.filter((l) => l.msg === 'webhook delivered');
    expect(delivered.length).toBe(posted.length);
    expect(delivered[0]).toMatchObject({ level: 30, statusCode: 200 });

    const logged = s.logLines.slice(before).join('\n');
    for (const secret of [NAME, BIRTH, DIAGNOSIS, id, survey.address, survey.members[0].name, survey.members[0].idNumber]) {
      expect(logged, secret).not.toContain(secret);
    }
  });
});
