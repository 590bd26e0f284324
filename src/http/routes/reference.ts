// Reference data: regions, for filling in surveys. Facilities and guardians are in care.ts.
import { z } from 'zod';
import { REGION_LEVELS } from '../../domain/regions.js';
import type { Engine } from '../../engine/index.js';
import type { App } from '../app.js';
import { errorResponse } from '../schemas/common.js';
import { region } from '../schemas/views.js';

export function referenceRoutes(engine: Engine) {
  return async function register(app: App) {
    app.get(
      '/regions',
      {
        schema: {
          tags: ['reference'],
          summary: 'Regions (statistical division codes) under a prefix, e.g. ?prefix=411282&level=village',
          querystring: z.strictObject({
            prefix: z.string().regex(/^\d{2,12}$/, 'expected 2 to 12 digits').optional(),
            level: z.enum(REGION_LEVELS).optional(),
          }),
          response: { 200: z.strictObject({ regions: z.array(region) }), 400: errorResponse, 401: errorResponse },
        },
      },
      async (request) => ({ regions: await engine.regions(request.query) }),
    );
  };
}
