// Two service processes' worth of caches over one database: a change made through one is seen by the other at
// its next request (NOTIFY doudi_users from the users trigger), not after the cache's minute. On PGlite both
// services share the one embedded database; on PostgreSQL each has its own pool and listening connection.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createDb, insertUser, type DbHandle } from '../../src/db/index.js';
import { signToken } from '../../src/http/auth.js';
import { createLogger } from '../../src/logger.js';
import { createService, type Service } from '../../src/service.js';
import { ManualClock } from '../../src/time/clock.js';
import { createTestDb, TEST_PG_POOL, type TestDb } from '../helpers/db.js';

let db: TestDb;
let other: DbHandle;
let a: Service;
let b: Service;
const config = loadConfig({ NODE_ENV: 'test', JWT_SECRET: 'user-cache-test-secret-0123456789abcdef' });

beforeAll(async () => {
  db = await createTestDb();
  other = db.url ? await createDb({ databaseUrl: db.url, dataDir: 'unused', maxConnections: TEST_PG_POOL }) : db;
  const logger = createLogger({ logLevel: 'silent' });
  a = createService({ config, logger, database: db, clock: new ManualClock() });
  b = createService({ config, logger, database: other, clock: new ManualClock() });
  await Promise.all([a.app.ready(), b.app.ready()]);
});
afterAll(async () => {
  await a?.app.close();
  await b?.app.close();
  if (other && other !== db) await other.close();
  await db?.close();
});

describe('the user cache across processes', () => {
  it('a user deactivated through one service is refused by the other at once', async () => {
    const admin = await insertUser(db.db, { username: 'admin-a', displayName: 'a', roles: ['admin'], jurisdiction: '411282' });
    const officer = await insertUser(db.db, { username: 'officer-a', displayName: 'o', roles: ['officer', 'admin'], jurisdiction: '411282' });
    const officerToken = signToken(config, officer, '1h');
    const get = (url: string) => a.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${officerToken}` } });
    expect((await get('/users')).statusCode).toBe(200); // service A has the officer cached now

    // Service B takes the admin role away, then deactivates.
    const adminToken = { authorization: `Bearer ${signToken(config, admin, '1h')}` };
    const patched = await b.app.inject({ method: 'PATCH', url: `/users/${officer.id}`, payload: { roles: ['officer'] }, headers: adminToken });
    expect(patched.statusCode).toBe(200);
    await vi.waitFor(async () => expect((await get('/users')).statusCode).toBe(403), { timeout: 5000, interval: 20 });

    expect((await b.app.inject({ method: 'POST', url: `/users/${officer.id}/deactivate`, headers: adminToken })).statusCode).toBe(200);
    await vi.waitFor(async () => expect(JSON.parse((await get('/cases')).body).code).toBe('ACCOUNT_INACTIVE'), { timeout: 5000, interval: 20 });
  });
});
