// What a production installation (`npm ci --omit=dev`) runs needs no devDependency: every npm script of the
// README's production section runs node on the esbuild bundle (no tsx, no vitest, no drizzle-kit), each bundle it
// runs is an entry point of scripts/build.mjs, and every package a bundle imports is a production dependency.
// (The install itself, on a fresh clone against a fresh database, is the README's production section, tried by hand.)
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script, without type declarations
import { options } from '../../scripts/build.mjs';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const PRODUCTION_SCRIPTS = ['start', 'migrate', 'worker', 'create-admin', 'db:roles', 'audit:verify', 'audit:export', 'audit:public-key', 'postinstall'];

/** 'drizzle-orm/pglite/migrator' → 'drizzle-orm'; '@fastify/rate-limit/store/x.js' → '@fastify/rate-limit'. */
const packageOf = (path: string) => (path.startsWith('@') ? path.split('/').slice(0, 2).join('/') : path.split('/')[0]);

describe('the production build', () => {
  it('every production script runs node on a bundle (or a plain .mjs script), never a devDependency', () => {
    const entries = Object.keys(options.entryPoints as Record<string, string>).map((out) => `dist/${out}.js`);
    for (const name of PRODUCTION_SCRIPTS) {
      const script = pkg.scripts[name];
      expect(script, name).toBeDefined();
      for (const dev of Object.keys(pkg.devDependencies)) expect(script, `${name} uses ${dev}`).not.toMatch(new RegExp(`(^|[\\s/])${dev}(\\s|$)`));
      for (const command of script.split('&&').map((c) => c.trim().replace(/^exec /, ''))) {
        expect(command, `${name}: ${command}`).toMatch(/^node (--enable-source-maps )?(scripts\/[\w-]+\.mjs|dist\/[\w/]+\.js)( [\w-]+)?$/);
        const file = command.match(/(dist\/[\w/]+\.js)/)?.[1];
        if (file) expect(entries, `${name} runs ${file}`).toContain(file);
      }
    }
  });

  it('imports only production dependencies and node built-ins', async () => {
    const result = await build({ ...options, write: false, metafile: true, logLevel: 'silent' });
    const imported = new Set<string>();
    for (const output of Object.values(result.metafile!.outputs)) for (const i of output.imports) if (i.external) imported.add(i.path);
    const builtins = new Set(builtinModules);
    const packages = [...imported].filter((p) => !p.startsWith('node:') && !builtins.has(p)).map(packageOf);
    expect(packages.length).toBeGreaterThan(5);
    expect([...new Set(packages)].filter((p) => !(p in pkg.dependencies))).toEqual([]);
  });
});
