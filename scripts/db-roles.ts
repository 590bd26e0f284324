// npm run db:roles — apply the migrations as the owner role (DATABASE_MIGRATION_URL) and grant the runtime role
// (DATABASE_URL's user) its rights; the service and the workers do the same at every start, so this is for setting
// up a database before the first start, or after creating the runtime role anew.
//   npm run -s db:roles -- --print <runtime role>   prints the grant statements (for a DBA to review), connects nowhere
import { loadConfigOrExit } from '../src/config.js';
import { environmentOrExit } from '../src/envFile.js';
import { APPEND_ONLY_TABLES, migrateAsOwner, runtimeGrantStatements } from '../src/db/index.js';

async function main(argv: string[]): Promise<number> {
  const args = argv.filter((a) => a !== '--');
  if (args[0] === '--print') {
    if (!args[1]) {
      console.error('usage: npm run -s db:roles -- --print <runtime role>');
      return 2;
    }
    console.log(`${runtimeGrantStatements(args[1], [...APPEND_ONLY_TABLES]).join(';\n')};`);
    return 0;
  }
  const config = loadConfigOrExit(environmentOrExit(process.env));
  if (!config.databaseUrl || !config.databaseMigrationUrl) {
    console.error('db:roles needs DATABASE_MIGRATION_URL (the owner role) and DATABASE_URL (the runtime role); see README, Database roles');
    return 2;
  }
  const result = await migrateAsOwner({ databaseUrl: config.databaseUrl, databaseMigrationUrl: config.databaseMigrationUrl, dataDir: config.dataDir });
  console.log(JSON.stringify({ migrated: true, ...result }));
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(`db:roles: ${(error as Error).message}`);
    process.exit(1);
  },
);
