// What every console route gets: the engine, the configuration, the renderer; and the data every page's layout reads.
import type { FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import type { Engine } from '../engine/index.js';
import type { Renderer } from './render.js';
import { CONSOLE } from './session.js';
import { navFor } from './nav.js';

export interface ConsoleContext {
  engine: Engine;
  config: Config;
  renderer: Renderer;
}

/** The layout's data: the page title, who is signed in, their menu and the CSRF token for forms. */
export function pageData(request: FastifyRequest, title: string, extra: Record<string, unknown> = {}) {
  const user = request.consoleUser;
  return {
    title,
    base: CONSOLE,
    user,
    csrf: user?.csrfToken ?? '',
    nav: user ? navFor(user.principal, request.url, { demoClock: user.demoClock }) : [],
    // Counted once per page load by the console's preHandler (index.ts); 0 for fragments.
    unread: request.consoleUnread ?? 0,
    ...extra,
  };
}
