/**
 * `npx tsx scripts/document-picture.ts`: docs/publicity-list.png — the first page of a real 公示名单. A test
 * service on in-memory PGlite (tests/helpers/service.ts: 孙家沟村, 苏村乡, 灵宝市); four households walked through
 * survey, evaluation and three approvals into the public notice; the township's objection office set as an admin
 * would; the officer prints the village's list through the API. The PDF is left at /tmp/doudi-publicity-list.pdf and
 * its first page drawn with poppler's pdftoppm (-r 80). Names and ID numbers are made up (valid check digits).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { loadConfig } from '../src/config.js';
import { createDb, insertRegions, insertUser, migrate, type UserRow } from '../src/db/index.js';
import { residentIdCheckChar } from '../src/domain/residentId.js';
import { signToken } from '../src/http/auth.js';
import { createLogger } from '../src/logger.js';
import { createService } from '../src/service.js';
import { ManualClock } from '../src/time/clock.js';

// The test service's villages and users (tests/helpers/service.ts imports vitest, so it cannot run here).
const V = { sunjiagou: '411282108201' };
const database = await createDb({ dataDir: 'memory://' });
await migrate(database);
const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'warn', JWT_SECRET: 'picture-secret-picture-secret-picture-1', PUBLIC_BASE_URL: 'https://doudi.lingbao.example.cn' });
const service = createService({ config, logger: createLogger(config, new Writable({ write: (_c, _e, done) => done() })), database, clock: new ManualClock('2026-03-02T01:00:00Z') });
await service.app.ready();
await insertRegions(database.db, [
  { code: '410000000000', level: 'province', parentCode: null, name: '河南省' },
  { code: '411200000000', level: 'prefecture', parentCode: '410000000000', name: '三门峡市' },
  { code: '411282000000', level: 'county', parentCode: '411200000000', name: '灵宝市' },
  { code: '411282108000', level: 'township', parentCode: '411282000000', name: '苏村乡' },
  { code: V.sunjiagou, level: 'village', parentCode: '411282108000', name: '孙家沟村' },
]);
type Who = 'enumerator' | 'evaluator' | 'village' | 'township' | 'county' | 'officer' | 'admin';
const specs: Record<Who, { roles: string[]; reviewLevel?: string; jurisdiction: string }> = {
  enumerator: { roles: ['enumerator'], jurisdiction: '411282108' },
  evaluator: { roles: ['evaluator'], jurisdiction: '411282' },
  village: { roles: ['reviewer'], reviewLevel: 'village', jurisdiction: '411282108' },
  township: { roles: ['reviewer'], reviewLevel: 'township', jurisdiction: '411282108' },
  county: { roles: ['reviewer'], reviewLevel: 'county', jurisdiction: '411282' },
  officer: { roles: ['officer'], jurisdiction: '411282' },
  admin: { roles: ['admin'], jurisdiction: '411282' },
};
const users = {} as Record<Who, UserRow>;
for (const [name, u] of Object.entries(specs)) users[name as Who] = await insertUser(database.db, { username: name, displayName: name, ...u } as never);
const token = (who: Who) => signToken(config, { id: users[who].id }, '1h');
let serial = 0;
const idNumber = (birthDate: string, sex: 'male' | 'female') => {
  serial += 2;
  const first17 = `411282${birthDate.replaceAll('-', '')}${String(100 + serial + (sex === 'male' ? 1 : 0)).padStart(3, '0')}`;
  return first17 + residentIdCheckChar(first17);
};
const svc = {
  app: service.app,
  token,
  async as(who: Who, method: 'POST' | 'PUT', url: string, body: unknown, headers: Record<string, string> = {}) {
    const res = await service.app.inject({ method, url, payload: body as never, headers: { authorization: `Bearer ${token(who)}`, ...headers } });
    return { status: res.statusCode, body: JSON.parse(res.body) };
  },
  close: async () => {
    await service.app.close();
    await database.close();
  },
};
const send = async (who: Parameters<typeof svc.as>[0], caseId: string, body: object) => {
  const r = await svc.as(who, 'POST', `/cases/${caseId}/events`, body);
  if (r.status !== 200) throw new Error(JSON.stringify(r.body));
  return r.body;
};
const households = [
  { members: [{ name: '王秀兰', birthDate: '1941-05-06', sex: 'female' }], categories: [['elderly', 'severe_disability']] },
  { members: [{ name: '孙长有', birthDate: '1947-02-10', sex: 'male' }, { name: '孙建军', birthDate: '1975-08-21', sex: 'male' }], categories: [['elderly'], ['serious_illness', 'severe_intellectual']] },
  { members: [{ name: '李䶮', birthDate: '1950-11-23', sex: 'male' }], categories: [['elderly']] },
  { members: [{ name: '张桂英', birthDate: '1938-12-01', sex: 'female' }], categories: [['elderly', 'mental_illness']] },
];
const modes: Record<string, string> = {};
const chosen = ['dispersed_care', 'centralized_support', 'dispersed_care', 'centralized_treatment'];
for (const [i, h] of households.entries()) {
  const r = await svc.as('enumerator', 'POST', '/households', {
    villageCode: V.sunjiagou,
    address: `孙家沟村${i + 1}组`,
    legalSupporter: null,
    members: h.members.map((m, j) => ({ ...m, idNumber: idNumber(m.birthDate, m.sex as 'male' | 'female'), relation: j === 0 ? '户主' : '子', labourCapacity: 'none' })),
  });
  const caseId = r.body.caseId as string;
  await send('enumerator', caseId, { type: 'SUBMIT_SURVEY' });
  const c = await send('evaluator', caseId, { type: 'START_EVALUATION' });
  for (const [j, m] of c.household.members.entries()) {
    await send('evaluator', caseId, { type: 'RECORD_ASSESSMENT', assessment: { memberId: m.id, categories: h.categories[j], labourCapacity: 'none', evidence: ['证明材料'] } });
  }
  await send('evaluator', caseId, { type: 'SUBMIT_EVALUATION', conclusion: '符合兜底保障条件' });
  for (const who of ['village', 'township', 'county'] as const) await send(who, caseId, { type: 'APPROVE' });
  modes[r.body.caseNumber] = chosen[i]!;
}
await svc.as('admin', 'PUT', '/settings/documents/411282', { issuer: '灵宝市民政局', townships: { '411282108': { office: '苏村乡人民政府民政所', address: '灵宝市苏村乡政府院内', telephone: '0398-8000000（示例）' } } }, { 'if-match': '"0"' });
const res = await svc.app.inject({ method: 'POST', url: `/villages/${V.sunjiagou}/publicity-list.pdf`, payload: { proposedModes: modes }, headers: { authorization: `Bearer ${svc.token('officer')}` } });
if (res.statusCode !== 200) throw new Error(res.body);
writeFileSync('/tmp/doudi-publicity-list.pdf', res.rawPayload);
execFileSync('pdftoppm', ['-png', '-r', '80', '-f', '1', '-l', '1', '-singlefile', '/tmp/doudi-publicity-list.pdf', '/tmp/doudi-publicity-list']);
copyFileSync('/tmp/doudi-publicity-list.png', new URL('../docs/publicity-list.png', import.meta.url));
console.log(`docs/publicity-list.png written (code ${res.headers['x-document-code']}, ${res.rawPayload.length} bytes)`);
await svc.close();
