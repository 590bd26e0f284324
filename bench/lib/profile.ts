// Where the service's CPU goes during the command mix: a V8 CPU profile (node --cpu-prof) of the service
// process, its samples attributed to the nearest frame of a library or of Doudi's own code (so a socket write
// counts for the driver that wrote, a JSON parse for whoever parsed).
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

const CATEGORIES: [RegExp, string][] = [
  [/node_modules\/postgres\//, 'postgres.js (driver, incl. its socket I/O)'],
  [/node_modules\/drizzle-orm\//, 'drizzle-orm (query building, result mapping)'],
  [/node_modules\/(fastify|@fastify|find-my-way|avvio|light-my-request|fast-json-stringify|fast-querystring|secure-json-parse|fast-jwt|fastify-type-provider-zod)/, 'Fastify, JWT (HTTP, incl. its socket I/O)'],
  [/node_modules\/zod\//, 'zod (validation)'],
  [/node_modules\/xstate\//, 'XState'],
  [/node_modules\/pino/, 'pino (logging)'],
  [/node_modules\/(tsx|esbuild)\/|^node:internal\/modules\//, '(start-up)'],
  [/\/machines\//, 'Doudi: case machine'],
  [/\/src\/audit\//, 'Doudi: audit hash'],
  [/\/src\/engine\//, 'Doudi: engine'],
  [/\/src\/db\//, 'Doudi: db layer'],
  [/\/src\//, 'Doudi: other'],
  [/node_modules\//, 'other libraries'],
];

function categoryOf(url: string): string | null {
  if (!url) return null;
  for (const [re, name] of CATEGORIES) if (re.test(url)) return name;
  return null;
}

export interface ProfileBreakdown {
  busyMs: number;
  shares: { category: string; pct: number }[];
}

export function analyzeProfile(file: string): ProfileBreakdown {
  const p = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const cache = new Map<number, string>();
  const categorize = (id: number): string => {
    const hit = cache.get(id);
    if (hit) return hit;
    const n = byId.get(id)!;
    const name = n.callFrame.functionName;
    let cat: string;
    if (name === '(idle)') cat = '(idle)';
    else if (name === '(garbage collector)') cat = 'garbage collection';
    else if (name === '(program)') cat = 'V8 and Node runtime';
    else {
      cat = categoryOf(n.callFrame.url) ?? (parent.has(id) ? categorize(parent.get(id)!) : 'V8 and Node runtime');
      if (cat === '(idle)' || cat === 'garbage collection') cat = 'V8 and Node runtime';
    }
    cache.set(id, cat);
    return cat;
  };
  const time = new Map<string, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const c = categorize(p.samples[i]);
    time.set(c, (time.get(c) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  // Idle time, and the start-up before the load (module loading and compiling), are not the mix's.
  time.delete('(idle)');
  time.delete('(start-up)');
  const busy = [...time.values()].reduce((a, b) => a + b, 0);
  return {
    busyMs: busy / 1000,
    shares: [...time.entries()].sort((a, b) => b[1] - a[1]).map(([category, t]) => ({ category, pct: (100 * t) / Math.max(1, busy) })),
  };
}

/** The largest .cpuprofile in `dir` (the main thread's; the loader thread writes a small one). */
export function mainProfile(dir: string): string | null {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(dir, f));
  if (files.length === 0) return null;
  return files.sort((a, b) => statSync(b).size - statSync(a).size)[0];
}

export function removeDir(dir: string) {
  rmSync(dir, { recursive: true, force: true });
}
