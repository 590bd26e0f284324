// A request that fails in the database must not put the statement's data in the log: no query parameters, no
// PostgreSQL `detail` quoting the failing row, no value in the message — on PostgreSQL (postgres.js) and on
// PGlite alike. The failure is forced with a CHECK constraint that refuses one member's name, so the failing
// statement carries the whole household: name, birth date, diagnosis, ID number.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idNumber, startService, sunSurvey, type TestService } from '../helpers/service.js';
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
