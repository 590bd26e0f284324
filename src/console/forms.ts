/**
 * Reading HTML forms. A form posts flat names (`members[0].name`, `selfCare.eating`, repeated `categories`);
 * `nestForm` turns them into the nested object the engine's zod schemas validate — the same schemas as the
 * API, so a console form and a JSON client are held to one set of rules. Checkbox values "on"/"true" become
 * true; empty strings are dropped (an empty optional field is absent, not "").
 */
import type { z } from 'zod';
import type { FieldIssue } from '../errors.js';

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

/** `a.b[0].c` → ['a', 'b', 0, 'c']; only plain names and indexes (no __proto__ games). */
function pathOf(name: string): (string | number)[] | null {
  const out: (string | number)[] = [];
  const re = /([A-Za-z_][A-Za-z0-9_]*)|\[(\d{1,3})\]|\./y;
  let m: RegExpExecArray | null;
  let i = 0;
  while (i < name.length) {
    re.lastIndex = i;
    m = re.exec(name);
    if (!m) return null;
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(Number(m[2]));
    i = re.lastIndex;
  }
  if (out.some((k) => k === '__proto__' || k === 'constructor' || k === 'prototype')) return null;
  return out;
}

export interface NestOptions {
  /** Fields whose value is a boolean checkbox (present = true). */
  booleans?: readonly string[];
  /** Fields always read as arrays (repeated names). */
  arrays?: readonly string[];
  /** Fields read as numbers. */
  numbers?: readonly string[];
}

const generic = (name: string) => name.replace(/\[\d+\]/g, '[]');

export function nestForm(body: Record<string, unknown>, opts: NestOptions = {}): Record<string, Json> {
  const root: Record<string, Json> = {};
  for (const [name, raw] of Object.entries(body)) {
    const path = pathOf(name);
    if (!path) continue;
    const g = generic(name);
    const values = (Array.isArray(raw) ? raw : [raw]).map((v) => String(v));
    let value: Json;
    if (opts.booleans?.includes(g)) value = values.some((v) => v === 'on' || v === 'true' || v === '1');
    else if (opts.arrays?.includes(g)) value = values.filter((v) => v !== '');
    else {
      const v = values.at(-1) ?? '';
      if (v === '') continue;
      value = opts.numbers?.includes(g) && /^-?\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : v;
    }
    let node: Record<string, Json> | Json[] = root;
    for (let i = 0; i < path.length - 1; i++) {
      const key = path[i];
      const nextIsIndex = typeof path[i + 1] === 'number';
      const container = (node as Record<string | number, Json>)[key as never] as Json | undefined;
      if (container === undefined || container === null || typeof container !== 'object') {
        (node as Record<string | number, Json>)[key as never] = (nextIsIndex ? [] : {}) as never;
      }
      node = (node as Record<string | number, Json>)[key as never] as unknown as Record<string, Json>;
    }
    (node as Record<string | number, Json>)[path.at(-1) as never] = value as never;
  }
  // An unticked checkbox posts nothing: a top-level boolean field that is absent is false.
  for (const name of opts.booleans ?? []) {
    const path = pathOf(name);
    if (!path || name.includes('[]')) continue;
    let node: Record<string, Json> = root;
    for (const key of path.slice(0, -1)) {
      if (node[key as string] === undefined) node[key as string] = {};
      node = node[key as string] as Record<string, Json>;
    }
    if (node[path.at(-1) as string] === undefined) node[path.at(-1) as string] = false;
  }
  // Sparse arrays (a removed row in the middle) close up.
  const compact = (v: Json): Json => (Array.isArray(v) ? v.filter((x) => x !== undefined && x !== null).map(compact) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, compact(x)])) : v);
  return compact(root) as Record<string, Json>;
}

/** zod issues of a console form, named by the form field (members[0].name). */
export function formIssues(error: z.ZodError, root = ''): FieldIssue[] {
  return error.issues.map((i) => ({
    path: [root, ...i.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))].filter(Boolean).join('.').replace(/\.\[/g, '['),
    message: i.message,
  }));
}
