// The production build: bundles the entry points (src/main.ts → dist/main.js, src/worker.ts → dist/worker.js, and
// the commands of a production installation: create-admin, migrate, db:roles and the audit tools → dist/cli/)
// with esbuild. Packages stay external (`packages: 'external'`): node_modules is resolved at run time as usual,
// so only our own code (src/, machines/) is bundled. It takes well under a second, and `npm start` / `npm run worker`
// run it every time, so dist/ is never stale.
//
// Several builds may run at once (`npm start` and `npm run worker`, parallel test files): each file is written to a
// temporary name and renamed into place, so a process never loads a half-written bundle.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist');

/** esbuild's options for the production build (tests/unit/productionBuild.test.ts builds with them too). */
export const options = {
  absWorkingDir: root,
  // Output name (under dist/) → source. Every command a production installation runs is here, so that none needs
  // tsx or another devDependency after `npm ci --omit=dev`.
  entryPoints: {
    main: 'src/main.ts',
    worker: 'src/worker.ts',
    'cli/createAdmin': 'src/cli/createAdmin.ts',
    'cli/migrate': 'src/cli/migrate.ts',
    'cli/dbRoles': 'scripts/db-roles.ts',
    'cli/audit': 'scripts/audit.ts',
  },
  outdir,
  bundle: true,
  packages: 'external',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  sourcesContent: false,
  logLevel: 'warning',
  write: false,
};


/** Builds dist/ (each file written under a temporary name, then renamed into place). */
export async function buildDist() {
  const started = performance.now();
  const result = await build(options);
  mkdirSync(outdir, { recursive: true });
  const tag = `${process.pid}.${Date.now()}`;
  for (const file of result.outputFiles) {
    mkdirSync(dirname(file.path), { recursive: true });
    const tmp = `${file.path}.${tag}.tmp`;
    writeFileSync(tmp, file.contents);
    renameSync(tmp, file.path);
  }
  console.error(`build: dist/main.js, dist/worker.js, dist/cli/{createAdmin,migrate,dbRoles,audit}.js in ${Math.round(performance.now() - started)} ms`);
}

// Run as a script (`node scripts/build.mjs`), not when imported.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await buildDist();
