/**
 * A running service for HTTP tests: a test database of its own (PGlite, or PostgreSQL when DATABASE_URL is
 * set), a manual clock, captured logs, and users in two counties. Region codes below the county level are
 * illustrative.
 */
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config.js';
import { insertRegions, insertUser, type UserRow } from '../../src/db/index.js';
import { residentIdCheckChar } from '../../src/domain/residentId.js';
import { signToken } from '../../src/http/auth.js';
import { createLogger } from '../../src/logger.js';
import { createService } from '../../src/service.js';
import { ManualClock } from '../../src/time/clock.js';
import type { HostLookup, ResolvedAddress } from '../../src/engine/webhookTarget.js';
import type { DbHandle } from '../../src/db/client.js';
import { createTestDb, type TestDb } from './db.js';

export const V = {
  sunjiagou: '411282108201', // 孙家沟村, 苏村乡, 灵宝市
  mingshan: '411282108202', // 明山村, 苏村乡, 灵宝市
  mianchi: '411221100201', // a village in 渑池县
} as const;

const REGIONS = [
  { code: '410000000000', level: 'province', parentCode: null, name: '河南省' },
  { code: '411200000000', level: 'prefecture', parentCode: '410000000000', name: '三门峡市' },
  { code: '411282000000', level: 'county', parentCode: '411200000000', name: '灵宝市' },
  { code: '411221000000', level: 'county', parentCode: '411200000000', name: '渑池县' },
  { code: '411282108000', level: 'township', parentCode: '411282000000', name: '苏村乡' },
  { code: V.sunjiagou, level: 'village', parentCode: '411282108000', name: '孙家沟村' },
  { code: V.mingshan, level: 'village', parentCode: '411282108000', name: '明山村' },
  { code: '411221100000', level: 'township', parentCode: '411221000000', name: '示例镇' },
  { code: V.mianchi, level: 'village', parentCode: '411221100000', name: '示例村' },
] as const;

const USERS = {
  enumerator: { roles: ['enumerator'], jurisdiction: '411282108' },
  evaluator: { roles: ['evaluator'], jurisdiction: '411282' },
  village: { roles: ['reviewer'], reviewLevel: 'village', jurisdiction: '411282108' },
  village2: { roles: ['reviewer'], reviewLevel: 'village', jurisdiction: '411282108' },
  township: { roles: ['reviewer'], reviewLevel: 'township', jurisdiction: '411282108' },
  county: { roles: ['reviewer'], reviewLevel: 'county', jurisdiction: '411282' },
  officer: { roles: ['officer'], jurisdiction: '411282' },
  visitor: { roles: ['visitor'], jurisdiction: '411282108' },
  supervisor: { roles: ['supervisor'], jurisdiction: '411282' },
  citySupervisor: { roles: ['supervisor'], jurisdiction: '4112' },
  system: { roles: ['system'], jurisdiction: '41' },
  admin: { roles: ['admin'], jurisdiction: '411282' },
  mcEnumerator: { roles: ['enumerator'], jurisdiction: '411221' },
  mcEvaluator: { roles: ['evaluator'], jurisdiction: '411221' },
  mcCounty: { roles: ['reviewer'], reviewLevel: 'county', jurisdiction: '411221' },
  mcOfficer: { roles: ['officer'], jurisdiction: '411221' },
  mcAdmin: { roles: ['admin'], jurisdiction: '411221' },
  mcSupervisor: { roles: ['supervisor'], jurisdiction: '411221' },
  cityAdmin: { roles: ['admin'], jurisdiction: '4112' },
  provinceAdmin: { roles: ['admin'], jurisdiction: '41' },
} as const;
export type TestUser = keyof typeof USERS;

let serial = 0;
/** A valid resident ID number for a birth date, distinct on each call; odd sequence = male. */
export function idNumber(birthDate: string, sex: 'male' | 'female' = 'male', area = '411282'): string {
  serial += 2;
  const seq = (serial % 998) + (sex === 'male' ? 1 : 0);
  const first17 = `${area}${birthDate.replaceAll('-', '')}${String(seq).padStart(3, '0')}`;
  return first17 + residentIdCheckChar(first17);
}

/** The Sun household of docs/domain.md as a survey body. */
export function sunSurvey(villageCode: string = V.sunjiagou) {
  return {
    villageCode,
    address: '灵宝市苏村乡孙家沟村3组12号',
    poorId: '4112821080120',
    legalSupporter: null,
    members: [
      { name: '孙某', idNumber: idNumber('1947-02-10'), birthDate: '1947-02-10', sex: 'male', relation: '户主', labourCapacity: 'none' },
      {
        name: '孙某某', idNumber: idNumber('1975-08-21'), birthDate: '1975-08-21', sex: 'male', relation: '子', labourCapacity: 'none',
        disabilities: [{ type: 'intellectual', grade: 4 }], seriousIllness: '慢性肾炎',
      },
    ],
  };
}

/**
 * The tests' DNS: names in `testDns` resolve to what it says (by default every *.example.cn to a public
 * address), every other name fails as unknown. Tests change entries to play a DNS answer that changes.
 */
export const testDns = new Map<string, ResolvedAddress[]>();
export const PUBLIC_TEST_ADDRESS = '101.6.6.6';
export const testLookup: HostLookup = async (host) => {
  const found = testDns.get(host) ?? (host === 'example.cn' || host.endsWith('.example.cn') ? [{ address: PUBLIC_TEST_ADDRESS, family: 4 as const }] : undefined);
  if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return found;
};

export async function startService(
  opts: { env?: Record<string, string>; viaDatabase?: (created: TestDb) => Promise<DbHandle>; createDatabase?: () => Promise<TestDb> } = {},
) {
  const created = await (opts.createDatabase ?? createTestDb)();
  // A second handle on the same database (e.g. through a wire-counting proxy); closed before the test database.
  const database: DbHandle = opts.viaDatabase ? { ...(await opts.viaDatabase(created)) } : created;
  if (opts.viaDatabase) {
    const inner = database.close;
    database.close = async () => {
      await inner();
      await created.close();
    };
  }
  const clock = new ManualClock('2026-03-02T01:00:00Z'); // Monday, 09:00 in China
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logLines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'info', JWT_SECRET: 'test-secret-test-secret-test-secret-42', ...opts.env });
  const logger = createLogger(config, sink);
  const { app, engine } = createService({ config, logger, database, clock, lookup: testLookup });
  await app.ready();

  await insertRegions(database.db, REGIONS.map((r) => ({ ...r })));
  const users = {} as Record<TestUser, UserRow>;
  for (const [name, u] of Object.entries(USERS)) {
    users[name as TestUser] = await insertUser(database.db, { username: name, displayName: name, ...u, roles: [...u.roles] });
  }
  const principal = (who: TestUser) => {
    const u = users[who];
    return { id: u.id, username: u.username, roles: u.roles, level: u.reviewLevel ?? null, region: u.jurisdiction };
  };
  // Tokens live in real time (the JWT library checks expiry against the system clock), not the test clock.
  const token = (who: TestUser) => signToken(config, principal(who), '1h');

  /** app.inject as a user. */
  async function as(who: TestUser | null, method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: unknown, headers: Record<string, string> = {}) {
    const res = await app.inject({
      method,
      url,
      payload: body as never,
      headers: { ...(who ? { authorization: `Bearer ${token(who)}` } : {}), ...headers },
    });
    return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : null, headers: res.headers };
  }

  return {
    app, engine, clock, database, logLines, users, principal, token, as, config,
    close: async () => {
      await app.close();
      await database.close();
    },
  };
}

export type TestService = Awaited<ReturnType<typeof startService>>;
