// Round trips per command, counted on the wire (PostgreSQL only: PGlite has no wire). The service reaches its
// database through the benchmark's protocol proxy (bench/lib/wireCount.ts), which counts every time the
// service had to wait for the server. The command path is [BEGIN, locks, load] then [writes, COMMIT]: two
// round trips once its statements are prepared on the connection (postgres.js describes a statement's
// parameters once per connection, the first time). Nothing is read after COMMIT.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWireCounter, type WireCounter } from '../../bench/lib/wireCount.js';
import { createDb } from '../../src/db/client.js';
import { testDbKind } from '../helpers/db.js';
import { startService, sunSurvey, type TestService, type TestUser } from '../helpers/service.js';

describe.skipIf(testDbKind() !== 'postgres')('round trips per command, on the wire', () => {
  let svc: TestService;
  let proxy: WireCounter;

  beforeAll(async () => {
    svc = await startService({
      viaDatabase: async (created) => {
        const u = new URL(created.url!);
        proxy = await startWireCounter({ host: u.hostname, port: Number(u.port || 5432) });
        // One connection: every command finds its statements prepared after the first case.
        return createDb({ databaseUrl: proxy.url(u.pathname.slice(1), decodeURIComponent(u.username || 'postgres')), dataDir: 'unused', maxConnections: 1 });
      },
    });
  });
  afterAll(async () => {
    await svc?.close();
    await proxy?.close();
  });

  async function counted(who: TestUser, method: 'POST', url: string, body: object) {
    await proxy.settled(20);
    proxy.reset();
    const r = await svc.as(who, method, url, body);
    expect(r.status, JSON.stringify(r.body)).toBeLessThan(300);
    await proxy.settled(20);
    return { body: r.body, ...proxy.counts() };
  }

  async function walk() {
    const trips: Record<string, number> = {};
    const survey = await counted('enumerator', 'POST', '/households', sunSurvey());
    trips.survey = survey.roundTrips;
    const id = survey.body.caseId as string;
    const ev = async (who: TestUser, body: object, label = (body as { type: string }).type) => {
      const r = await counted(who, 'POST', `/cases/${id}/events`, body);
      trips[label] = r.roundTrips;
      return r.body;
    };
    await ev('enumerator', { type: 'SUBMIT_SURVEY' });
    const c = await ev('evaluator', { type: 'START_EVALUATION' });
    for (const m of c.household.members) {
      await ev('evaluator', { type: 'RECORD_ASSESSMENT', assessment: { memberId: m.id, categories: ['elderly'], labourCapacity: 'none', evidence: ['证明'] } });
    }
    await ev('evaluator', { type: 'SUBMIT_EVALUATION', conclusion: '符合' });
    await ev('village', { type: 'APPROVE' }, 'APPROVE village');
    await ev('township', { type: 'APPROVE' }, 'APPROVE township');
    await ev('county', { type: 'APPROVE' }, 'APPROVE county');
    await ev('officer', { type: 'FILE_OBJECTION', objectionId: `obj-${id.slice(0, 8)}`, lodgedBy: '村民', channel: 'paper', content: '家中有在外务工人员' }, 'FILE_OBJECTION');
    return trips;
  }

  it('two round trips per command once prepared, BEGIN and COMMIT included', async () => {
    // The first case also opens the connection, fetches types, and looks up each user once (then cached).
    await walk();
    const steady = await walk();
    expect(steady).toEqual(Object.fromEntries(Object.keys(steady).map((k) => [k, 2])));
  });
});
