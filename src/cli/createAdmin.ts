/**
 * `npm run create-admin -- <username> <jurisdiction> [display name]`: the first administrator of an installation,
 * or another one when every admin is locked out. Run on the server, with the service's configuration (it opens the
 * database the service uses; on embedded PGlite, stop the service first: PGlite is single-process). Prints the
 * initial password once; it must be changed at the first sign-in. Part of the production build (dist/cli/), so it
 * works after `npm ci --omit=dev`.
 */
import { loadConfigOrExit } from '../config.js';
import { environmentOrExit } from '../envFile.js';
import { openConfiguredDatabase, type DbHandle } from '../db/index.js';
import { createAccounts } from '../engine/accounts.js';
import { isAppError } from '../errors.js';
import { systemClock } from '../time/clock.js';

export const usage = 'usage: npm run -s create-admin -- <username> <jurisdiction: 2, 4, 6, 9 or 12 digits> [display name]';

export interface CreateAdminOutput {
  out(line: string): void;
  err(line: string): void;
}

/** The command itself, over an open database: exit code 0 created, 1 refused, 2 bad arguments. */
export async function createAdmin(database: Pick<DbHandle, 'db'>, args: string[], io: CreateAdminOutput): Promise<number> {
  const [username, jurisdiction, ...name] = args.filter((a) => a !== '--');
  if (!username || !jurisdiction || !/^[a-z0-9][a-z0-9._-]{2,63}$/.test(username) || !/^(\d{2}|\d{4}|\d{6}|\d{9}|\d{12})$/.test(jurisdiction)) {
    io.err(usage);
    return 2;
  }
  const accounts = createAccounts({ db: database.db, clock: systemClock });
  try {
    const { user, initialPassword } = await accounts.bootstrapAdmin({ username, jurisdiction, displayName: name.join(' ') || '系统管理员' });
    io.out(`created admin ${user.username} (jurisdiction ${user.jurisdiction})`);
    io.out(`initial password: ${initialPassword}`);
    io.out('sign in with it (POST /auth/sign-in) and change it (POST /auth/password) before anything else');
    return 0;
  } catch (err) {
    if (isAppError(err) && err.code === 'USER_CONFLICT') {
      io.err(`a user named ${username} exists already; an admin can reset its password (POST /users/:id/password-reset)`);
      return 1;
    }
    throw err;
  }
}

async function main(): Promise<number> {
  const config = loadConfigOrExit(environmentOrExit(process.env));
  const database = await openConfiguredDatabase(config, { maxConnections: 1 });
  try {
    return await createAdmin(database, process.argv.slice(2), { out: (l) => console.log(l), err: (l) => console.error(l) });
  } finally {
    await database.close();
  }
}

// Run only as the entry point (tests import createAdmin).
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error('create-admin failed:', err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
