// POST /admin/clock: moves the demo clock forward (DEMO_CLOCK=on only; the route does not exist otherwise).
import { z } from 'zod';
import { errorResponse } from '../schemas/common.js';
import { chinaDateOf } from '../../time/calendar.js';
import type { DemoClock } from '../../time/clock.js';
import type { App } from '../app.js';
import { requireRole } from '../auth.js';

export function demoClockRoutes(clock: DemoClock) {
  return async function register(app: App) {
    app.post(
      '/admin/clock',
      {
        preHandler: requireRole('admin'),
        schema: {
          tags: ['admin'],
          summary: 'Move the demo clock forward (DEMO_CLOCK=on only, never in production)',
          body: z.strictObject({ advanceDays: z.number().int().min(1, 'advanceDays is 1 to 366').max(366, 'advanceDays is 1 to 366') }),
          response: { 200: z.strictObject({ now: z.string(), today: z.string().describe('the date in China (UTC+8)') }), 400: errorResponse, 401: errorResponse, 403: errorResponse },
        },
      },
      async (request) => {
        const now = clock.advance(request.body.advanceDays * 86_400_000);
        request.log.warn({ advanceDays: request.body.advanceDays, now: now.toISOString() }, 'demo clock moved forward');
        return { now: now.toISOString(), today: chinaDateOf(now) };
      },
    );
  };
}
