// Prints a bearer token for a user (npm run -s token -- <username>), and nothing else on stdout, so that
//   TOKEN=$(npm run -s token -- lb-officer)
// works. Demo users resolve from their fixed definitions (src/seed/users.ts) without opening the database —
// so this works while `npm start` holds the PGlite directory. With DATABASE_URL set, the user is looked up in
// the database first, so users created by an admin work too. The lifetime is TOKEN_TTL.
// For demos and scripts on a development machine only: real clients get tokens from POST /auth/token, and this
// refuses to run with NODE_ENV=production.
import { loadConfigOrExit, type Config } from '../src/config.js';
import { environmentOrExit } from '../src/envFile.js';
import { createDb, findUserByUsername } from '../src/db/index.js';
import type { Principal } from '../src/engine/types.js';
import { signToken } from '../src/http/auth.js';
import { demoUsers, findDemoUser, principalOf } from '../src/seed/users.js';

const usage = 'usage: npm run -s token -- <username>';

function demoUserList(): string {
  const width = Math.max(...demoUsers.map((u) => u.username.length));
  return demoUsers
    .map((u) => `  ${u.username.padEnd(width)}  ${[...u.roles, u.reviewLevel].filter(Boolean).join(' ')}  (${u.jurisdiction})`)
    .join('\n');
}

/** The user from the database (DATABASE_URL only); undefined when absent. Throws for a deactivated user. */
async function fromDatabase(config: Config, username: string): Promise<(Principal & { tokenVersion: number }) | undefined> {
  if (!config.databaseUrl) return undefined;
  const database = await createDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, maxConnections: 1 });
  try {
    const row = await findUserByUsername(database.db, username);
    if (!row) return undefined;
    if (!row.active) throw new Error(`user ${username} is deactivated`);
    return { ...principalOf(row), tokenVersion: row.tokenVersion };
  } finally {
    await database.close();
  }
}

async function main(argv: string[]): Promise<number> {
  const args = argv.filter((a) => a !== '--');
  if (args.length !== 1 || args[0].startsWith('-')) {
    console.error(`${usage}\n\nDemo users:\n${demoUserList()}`);
    return args.length === 1 && (args[0] === '-h' || args[0] === '--help') ? 0 : 1;
  }
  const username = args[0];

  const config = loadConfigOrExit(environmentOrExit(process.env));
  if (config.nodeEnv === 'production') {
    console.error('npm run token is for demos; in production sign in with POST /auth/token (a person or a service account)');
    return 1;
  }

  let principal: (Principal & { tokenVersion?: number }) | undefined = await fromDatabase(config, username);
  if (!principal) {
    const demo = findDemoUser(username);
    if (!demo) {
      const where = config.databaseUrl ? 'not in the database and not a demo user' : 'not a demo user';
      const note = config.databaseUrl ? '' : '\nUsers created by an admin resolve only with DATABASE_URL set (PGlite is single-process).';
      console.error(`unknown user "${username}": ${where}. Demo users:\n${demoUserList()}\n${note}\n${usage}`);
      return 1;
    }
    if (config.databaseUrl) console.error(`warning: ${username} is not in the database; signing for the demo definition (run npm run seed)`);
    principal = principalOf(demo);
  }

  process.stdout.write(`${signToken(config, principal, config.tokenTtlSeconds, { tokenVersion: principal.tokenVersion ?? 0 })}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
