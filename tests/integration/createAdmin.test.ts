// The first administrator of an installation: `npm run create-admin`, in-process and as the built command.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdmin } from '../../src/cli/createAdmin.js';
import { createDb, findUserByUsername } from '../../src/db/index.js';
import { createTestDatabaseUrl } from '../helpers/db.js';
import { startService, type TestService } from '../helpers/service.js';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => svc?.close());

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l: string) => void out.push(l), err: (l: string) => void err.push(l) } };
}

describe('create-admin', () => {
  it('creates an admin whose initial password must be changed, and says so in the security log', async () => {
    const c = capture();
    expect(await createAdmin(svc.database, ['--', 'sanmenxia-admin', '4112', '三门峡市', '管理员'], c.io)).toBe(0);
    const password = c.out.find((l) => l.startsWith('initial password: '))!.slice('initial password: '.length);
    expect(password.length).toBeGreaterThanOrEqual(12);

    const signIn = await svc.app.inject({ method: 'POST', url: '/auth/sign-in', payload: { username: 'sanmenxia-admin', password } });
    expect(signIn.statusCode).toBe(200);
    expect(signIn.json().user).toMatchObject({ roles: ['admin'], jurisdiction: '4112', displayName: '三门峡市 管理员', mustChangePassword: true });
    const cookie = signIn.cookies.find((x) => x.name === 'doudi_session')!.value;
    const csrf = signIn.json().csrfToken as string;
    const asAdmin = (method: 'GET' | 'POST', url: string, payload?: unknown) =>
      svc.app.inject({ method, url, payload: payload as never, cookies: { doudi_session: cookie }, headers: { 'x-csrf-token': csrf } });
    expect((await asAdmin('GET', '/users')).json().code).toBe('PASSWORD_CHANGE_REQUIRED');
    expect((await asAdmin('POST', '/auth/password', { currentPassword: password, newPassword: 'Stadt-Verwaltung-2026' })).statusCode).toBe(200);
    const created = await asAdmin('POST', '/users', { username: 'lb-clerk-2', displayName: '某某', roles: ['officer'], jurisdiction: '411282' });
    expect(created.statusCode).toBe(201);

    const log = await svc.as('citySupervisor', 'GET', '/security-log'); // not an admin
    expect(log.status).toBe(403);
    const entries = (await asAdmin('GET', `/security-log?subjectId=${signIn.json().user.id}`)).json().items;
    expect(entries.at(-1)).toMatchObject({ action: 'user.created', actorId: null, actorUsername: 'command line', details: { via: 'create-admin' } });
  });

  it('refuses an existing username and bad arguments, changing nothing', async () => {
    const c = capture();
    expect(await createAdmin(svc.database, ['admin', '411282'], c.io)).toBe(1);
    expect(c.err.join('\n')).toMatch(/exists already/);
    for (const args of [[], ['x'], ['Bad Name', '411282'], ['good-name', '4112821']]) {
      const b = capture();
      expect(await createAdmin(svc.database, args, b.io), JSON.stringify(args)).toBe(2);
      expect(b.err[0]).toMatch(/^usage: /);
    }
    expect(await findUserByUsername(svc.database.db, 'good-name')).toBeNull();
  });

  it.skipIf(!process.env.DATABASE_URL)('works as the built command on a fresh database (PostgreSQL)', async () => {
    const { url, drop } = await createTestDatabaseUrl();
    try {
      await run(process.execPath, ['scripts/build.mjs'], { cwd: root });
      const env = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production', JWT_SECRET: 'cli-test-secret-0123456789-abcdefghijkl', DATABASE_URL: url!, LOG_LEVEL: 'warn' };
      const { stdout } = await run(process.execPath, ['dist/cli/createAdmin.js', 'henan-admin', '41'], { cwd: root, env });
      expect(stdout).toMatch(/^created admin henan-admin \(jurisdiction 41\)\ninitial password: \S{12,}\n/);
      const handle = await createDb({ databaseUrl: url!, dataDir: 'unused', maxConnections: 1 });
      try {
        expect(await findUserByUsername(handle.db, 'henan-admin')).toMatchObject({ roles: ['admin'], mustChangePassword: true, demo: false });
      } finally {
        await handle.close();
      }
    } finally {
      await drop();
    }
  }, 60_000);
});
