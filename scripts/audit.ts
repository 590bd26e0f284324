// The auditor's tools for signed audit checkpoints (README, "Audit checkpoints"):
//
//   npm run -s audit:verify -- --public-key PUB.pem --checkpoint checkpoint.jsonl --audit audit.jsonl
//       offline: an export (below) against the public key; no database needed
//   npm run -s audit:verify -- --public-key PUB.pem --database-url postgres://auditor@host/doudi [--checkpoint-id N]
//       straight from a database, in one read-only REPEATABLE READ snapshot: against the newest checkpoint (unless
//       --checkpoint-id), and every case's trail against the head on its case row
//   npm run -s audit:export -- --out DIR [--database-url URL] [--checkpoint-id N]
//       writes DIR/checkpoint.jsonl (the signed checkpoint and every case's sealed head) and DIR/audit.jsonl
//   npm run -s audit:public-key [-- --key PRIVATE.pem]
//       the public key of AUDIT_CHECKPOINT_KEY (or of --key), PEM, to give to auditors
//
// Without --database-url the database is DATABASE_URL, or the PGlite directory DOUDI_DATA_DIR. verify prints one
// JSON object and exits 0 when everything holds, 1 when anything does not (each problem names its case), 2 on a
// usage error.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadCheckpointPrivateKey, loadCheckpointPublicKey, publicKeyPem } from '../src/audit/checkpoint.js';
import { readAuditFile, readCheckpointFile, writeAuditFile, writeCheckpointFile } from '../src/audit/exportFiles.js';
import { verifyCaseHeads, verifyCheckpoint, type CheckpointVerification, type HeadsVerification } from '../src/audit/verifyCheckpoint.js';
import { loadConfigOrExit } from '../src/config.js';
import { environmentOrExit } from '../src/envFile.js';
import { auditRecordStream, caseHeadStream, checkpointHeads, createDb, getCheckpoint, latestCheckpoint, type DbHandle } from '../src/db/index.js';
import { sql } from 'drizzle-orm';

const usage = `usage:
  npm run -s audit:verify -- --public-key FILE (--checkpoint FILE --audit FILE | [--database-url URL] [--checkpoint-id N])
  npm run -s audit:export -- --out DIR [--database-url URL] [--checkpoint-id N]
  npm run -s audit:public-key [-- --key FILE]`;

class UsageError extends Error {}

async function openReadOnly(url: string | undefined): Promise<DbHandle> {
  const config = loadConfigOrExit(environmentOrExit(process.env));
  const databaseUrl = url ?? config.databaseUrl;
  const database = await createDb({ databaseUrl, dataDir: config.dataDir, maxConnections: 1 });
  // One connection, every transaction read-only: the tools never write (use a role with SELECT only, too).
  await database.db.execute(sql`set default_transaction_read_only = on`);
  return database;
}

async function checkpointOf(database: DbHandle, id: string | undefined) {
  const cp = id ? await getCheckpoint(database.db, Number(id)) : await latestCheckpoint(database.db);
  if (!cp) throw new UsageError(id ? `no checkpoint ${id} in the database` : 'the database holds no checkpoint yet');
  return cp;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv.filter((a) => a !== '--');
  const { values } = parseArgs({
    args: rest,
    options: {
      'public-key': { type: 'string' },
      checkpoint: { type: 'string' },
      audit: { type: 'string' },
      'database-url': { type: 'string' },
      'checkpoint-id': { type: 'string' },
      out: { type: 'string' },
      key: { type: 'string' },
    },
    strict: true,
  });

  if (command === 'public-key') {
    const key = values.key ?? loadConfigOrExit(environmentOrExit(process.env)).auditCheckpointKey;
    if (!key) throw new UsageError('AUDIT_CHECKPOINT_KEY is not set; pass --key FILE');
    process.stdout.write(publicKeyPem(loadCheckpointPrivateKey(key)));
    return 0;
  }

  if (command === 'export') {
    if (!values.out) throw new UsageError('--out DIR is required');
    const database = await openReadOnly(values['database-url']);
    try {
      const cp = await checkpointOf(database, values['checkpoint-id']);
      await mkdir(values.out, { recursive: true });
      const heads = await writeCheckpointFile(join(values.out, 'checkpoint.jsonl'), cp, checkpointHeads(database.db, cp.id));
      const records = await writeAuditFile(join(values.out, 'audit.jsonl'), auditRecordStream(database.db));
      console.log(JSON.stringify({ checkpointId: cp.id, createdAt: cp.createdAt, cases: heads - 1, records, out: values.out }));
      return 0;
    } finally {
      await database.close();
    }
  }

  if (command === 'verify') {
    if (!values['public-key']) throw new UsageError('--public-key FILE is required');
    const publicKey = loadCheckpointPublicKey(values['public-key']);
    let result: { ok: boolean; checkpoint: CheckpointVerification | null; caseHeads?: HeadsVerification };
    if (values.checkpoint || values.audit) {
      if (!values.checkpoint || !values.audit) throw new UsageError('offline verification needs both --checkpoint FILE and --audit FILE');
      const file = await readCheckpointFile(values.checkpoint);
      const checkpoint = await verifyCheckpoint({ ...file, publicKey, records: readAuditFile(values.audit) });
      result = { ok: checkpoint.ok, checkpoint };
    } else {
      const database = await openReadOnly(values['database-url']);
      try {
        result = await database.db.transaction(
          async (tx) => {
            const id = values['checkpoint-id'];
            const cp = id ? await getCheckpoint(tx, Number(id)) : await latestCheckpoint(tx);
            if (id && !cp) throw new UsageError(`no checkpoint ${id} in the database`);
            const checkpoint = cp
              ? await verifyCheckpoint({ checkpoint: cp, publicKey, heads: checkpointHeads(tx, cp.id), records: auditRecordStream(tx) })
              : null;
            const caseHeads = await verifyCaseHeads({ heads: caseHeadStream(tx), records: auditRecordStream(tx) });
            if (!cp) console.error('audit: the database holds no checkpoint yet; only the trails against the case rows were verified');
            return { ok: (checkpoint?.ok ?? true) && caseHeads.ok, checkpoint, caseHeads };
          },
          { isolationLevel: 'repeatable read', accessMode: 'read only' },
        );
      } finally {
        await database.close();
      }
    }
    console.log(JSON.stringify(result, null, 2));
    return result.ok ? 0 : 1;
  }

  throw new UsageError(command ? `unknown command ${command}` : 'a command is required');
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`${(error as Error).message}\n${usage}`);
      process.exit(2);
    }
    console.error(`audit: ${(error as Error).message}`);
    process.exit(2);
  },
);
