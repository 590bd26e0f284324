// The auditor's command (npm run audit:verify / audit:export, scripts/audit.ts) run as a process: an export
// verifies offline against the public key file; the same export with one record rewritten and its chain
// recomputed — done in the file, by the auditor's own copy, as a forger would — fails naming the case; a wrong
// key fails. On PostgreSQL also straight from the database URL, and the export command itself.
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeAuditFile, writeCheckpointFile } from '../../src/audit/exportFiles.js';
import { auditHash } from '../../src/audit/hash.js';
import { appendAudit } from '../../src/db/audit.js';
import { lockCase } from '../../src/db/cases.js';
import { auditRecordStream, checkpointHeads, latestCheckpoint, writeCheckpoint } from '../../src/db/checkpoints.js';
import { createTestDb, testDbKind, type TestDb } from '../helpers/db.js';
import { seedCase, seedEnumerator, seedRegions, VILLAGES } from '../db/fixtures.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

async function audit(args: string[], env: Record<string, string | undefined> = {}): Promise<{ code: number; out: string; err: string }> {
  try {
    const { stdout, stderr } = await run(join(root, 'node_modules/.bin/tsx'), ['scripts/audit.ts', ...args], {
      cwd: root, env: { ...process.env, DATABASE_URL: undefined, ...env }, encoding: 'utf8',
    });
    return { code: 0, out: stdout, err: stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout, err: e.stderr };
  }
}

// Each run starts tsx (a few seconds on a loaded 2-core machine): hence the longer timeout.
describe(`npm run audit:verify (${testDbKind()})`, { timeout: 120_000 }, () => {
  let t: TestDb;
  let dir: string;
  let caseIds: string[];

  beforeAll(async () => {
    t = await createTestDb();
    dir = await mkdtemp(join(tmpdir(), 'doudi-audit-cli-'));
    await seedRegions(t.db);
    const userId = (await seedEnumerator(t.db)).id;
    caseIds = [];
    for (const v of [VILLAGES.sunjiagou, VILLAGES.mingshan]) {
      const id = (await seedCase(t.db, { villageCode: v, createdBy: userId })).case.id;
      caseIds.push(id);
      for (let seq = 1; seq <= 3; seq++) {
        await t.db.transaction(async (tx) => {
          await lockCase(tx, id);
          await appendAudit(tx, {
            caseId: id, eventType: 'APPROVE', payload: { seq }, actorId: userId, actorRole: 'reviewer', stateBefore: 'review',
            stateAfter: 'review', machineVersion: 1, at: new Date(Date.UTC(2026, 2, 2, seq)),
          });
        });
      }
    }
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    await writeFile(join(dir, 'public.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
    await writeFile(join(dir, 'private.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    await writeFile(join(dir, 'other.pem'), generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }));
    await writeCheckpoint(t.db, { privateKey, now: new Date(Date.UTC(2026, 2, 3)) });
    const cp = (await latestCheckpoint(t.db))!;
    await writeCheckpointFile(join(dir, 'checkpoint.jsonl'), cp, checkpointHeads(t.db, cp.id));
    await writeAuditFile(join(dir, 'audit.jsonl'), auditRecordStream(t.db));
  });
  afterAll(async () => {
    await t?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const files = (auditFile = 'audit.jsonl', key = 'public.pem') =>
    ['--public-key', join(dir, key), '--checkpoint', join(dir, 'checkpoint.jsonl'), '--audit', join(dir, auditFile)];

  it('verifies an export offline and prints the public key of a private key', async () => {
    const ok = await audit(['verify', ...files()]);
    expect(ok.code, ok.err).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({ ok: true, checkpoint: { ok: true, checkpointId: 1, caseCount: 2, records: 6 } });
    const pub = await audit(['public-key', '--key', join(dir, 'private.pem')]);
    expect(pub.out).toBe(await readFile(join(dir, 'public.pem'), 'utf8'));
  });

  it('fails an export whose chain was rewritten and recomputed, naming the case, and a wrong key', async () => {
    const records = (await readFile(join(dir, 'audit.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    const victim = records.filter((r) => r.caseId === caseIds[0]);
    victim[0].payload = { seq: 1, forged: true };
    for (let i = 0; i < victim.length; i++) {
      if (i > 0) victim[i].prevHash = victim[i - 1].hash;
      victim[i].hash = auditHash(victim[i]);
    }
    await writeFile(join(dir, 'forged.jsonl'), records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const forged = await audit(['verify', ...files('forged.jsonl')]);
    expect(forged.code).toBe(1);
    expect(JSON.parse(forged.out)).toMatchObject({ ok: false, checkpoint: { problems: [{ caseId: caseIds[0], reason: expect.stringMatching(/rewritten/) }] } });

    const wrong = await audit(['verify', ...files('audit.jsonl', 'other.pem')]);
    expect(wrong.code).toBe(1);
    expect(JSON.parse(wrong.out).checkpoint.problems[0].reason).toMatch(/not by this public key/);

    expect((await audit(['verify', '--checkpoint', join(dir, 'checkpoint.jsonl')])).code).toBe(2);
  });

  it.skipIf(testDbKind() !== 'postgres')('verifies straight from the database, and exports it', async () => {
    const ok = await audit(['verify', '--public-key', join(dir, 'public.pem'), '--database-url', t.url!]);
    expect(ok.code, ok.err).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({ ok: true, checkpoint: { ok: true, records: 6 }, caseHeads: { ok: true, caseCount: 2, records: 6 } });
    const exported = await audit(['export', '--out', join(dir, 'exported')], { DATABASE_URL: t.url });
    expect(exported.code, exported.err).toBe(0);
    expect(JSON.parse(exported.out)).toMatchObject({ checkpointId: 1, cases: 2, records: 6 });
    expect(await readFile(join(dir, 'exported', 'audit.jsonl'), 'utf8')).toBe(await readFile(join(dir, 'audit.jsonl'), 'utf8'));
  });
});
