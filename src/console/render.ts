/**
 * Rendering the console's pages: Eta templates (src/console/views), compiled once per process and cached
 * (re-read at every render in development, so a template edit shows on reload). Output is escaped by default
 * (`<%= %>`); `<%~ %>` is only for HTML we built ourselves (the layout's body, partials).
 *
 * One render function serves whole pages and the fragments htmx swaps in: a fragment is a page rendered
 * without the layout.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Eta } from 'eta';
import type { FastifyReply } from 'fastify';
import * as format from './format.js';
import * as labels from '../labels.js';
import { fieldLabel } from './messages.js';

/**
 * The project's root: found from this module's file, which is src/console/render.ts under tsx and the bundle
 * dist/main.js after `npm run build`. The templates and assets are read from src/console in both cases.
 */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'src', 'console', 'views'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('cannot find the project root (src/console/views) from ' + fileURLToPath(import.meta.url));
}

export const consoleDir = () => join(projectRoot(), 'src', 'console');

export function createRenderer(opts: { production: boolean }) {
  const eta = new Eta({
    views: join(consoleDir(), 'views'),
    cache: opts.production,
    autoEscape: true,
    autoTrim: [false, 'nl'],
  });
  /** What every template may use besides its own data: formatting helpers and the zh-CN labels. */
  const helpers = { f: format, L: labels, fieldLabel };
  return {
    render(template: string, data: Record<string, unknown>): string {
      return eta.render(template, { ...helpers, ...data });
    },
  };
}

export type Renderer = ReturnType<typeof createRenderer>;

/** Send HTML; console pages are per-user and must not be cached by the browser or a proxy. */
export function sendHtml(reply: FastifyReply, html: string, status = 200): FastifyReply {
  return reply.code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(html);
}
