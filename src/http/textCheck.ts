/**
 * Text PostgreSQL cannot store: a NUL character (U+0000; `text` and `jsonb` refuse it) or a lone UTF-16
 * surrogate (not Unicode at all; refused when converted to UTF-8). Either used to reach the database and fail
 * there as a 500 whose log carried the row. Checked once for every request, on the validated body, query and
 * path parameters, before any handler runs: a 400 VALIDATION_FAILED naming each field.
 */
import type { FastifyRequest } from 'fastify';
import { errors, type FieldIssue } from '../errors.js';

const MAX_ISSUES = 20;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function problemOf(s: string): string | null {
  if (s.includes('\u0000')) return 'contains a NUL character (\\u0000), which is not allowed in text';
  if (LONE_SURROGATE.test(s)) return 'contains a lone UTF-16 surrogate (not valid Unicode)';
  return null;
}

/** A key as a path step, readable whatever it contains: .name, [3] or ["odd key"] (JSON-escaped). */
const stepOf = (key: string | number) => (typeof key === 'number' ? `[${key}]` : /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`);

/** Every string (and object key) under `value` that PostgreSQL cannot store, with its path under `root`. */
export function unstorableText(value: unknown, root: string): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const walk = (v: unknown, path: string, depth: number) => {
    if (issues.length >= MAX_ISSUES || depth > 64) return;
    if (typeof v === 'string') {
      const problem = problemOf(v);
      if (problem) issues.push({ path, message: problem });
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => walk(item, path + stepOf(i), depth + 1));
    } else if (v && typeof v === 'object') {
      for (const [k, item] of Object.entries(v)) {
        const problem = problemOf(k);
        if (problem) issues.push({ path: path + stepOf(k), message: `the field name ${problem}` });
        walk(item, path + stepOf(k), depth + 1);
      }
    }
  };
  walk(value, root, 0);
  return issues;
}

/** A preHandler hook for every route: after the route's own validation, before its handler. */
export async function refuseUnstorableText(request: FastifyRequest): Promise<void> {
  const issues = [
    ...unstorableText(request.params, 'params'),
    ...unstorableText(request.query, 'query'),
    ...unstorableText(request.body, 'body'),
  ];
  if (issues.length > 0) throw errors.validationFailed(issues.slice(0, MAX_ISSUES));
}
