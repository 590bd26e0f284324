// machines/ is pure: it imports nothing but xstate, zod and other machine files, and touches no clock,
// randomness or IO.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const dir = new URL('../../machines/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));

describe('machines/ purity', () => {
  it.each(files)('%s imports only xstate, zod and machine files', (file) => {
    const src = readFileSync(new URL(file, dir), 'utf8');
    const specifiers = [...src.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/g)].map((m) => m[1]);
    for (const s of specifiers) expect(['xstate', 'zod'].includes(s) || /^\.\/[\w-]+\.js$/.test(s), `${file} imports ${s}`).toBe(true);
    expect(src).not.toMatch(/\bDate\.now\(|new Date\(\)|Math\.random|crypto\.|process\.|setTimeout|setInterval|\bafter\s*:\s*\{/);
  });
});
