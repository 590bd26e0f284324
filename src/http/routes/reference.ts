// Reference data: regions and facilities, for filling in surveys and placements.
import { z } from 'zod';
import { facilityTypes } from '../../../machines/index.js';
import { REGION_LEVELS } from '../../domain/regions.js';
import type { Engine } from '../../engine/index.js';
import { errors } from '../../errors.js';
import type { App } from '../app.js';

export function referenceRoutes(engine: Engine) {
  return async function register(app: App) {
    app.get(
      '/regions',
      {
        schema: {
          tags: ['reference'],
          summary: 'Regions (statistical division codes) under a prefix, e.g. ?prefix=411282&level=village',
          querystring: z.object({
            prefix: z.string().regex(/^\d{2,12}$/, 'expected 2 to 12 digits').optional(),
            level: z.enum(REGION_LEVELS).optional(),
          }),
        },
      },
      async (request) => ({ regions: await engine.regions(request.query) }),
    );

    app.get(
      '/facilities',
      {
        schema: {
          tags: ['reference'],
          summary: 'Facilities in the caller’s county with beds, caregivers and derived occupancy',
          querystring: z.object({ type: z.enum(facilityTypes).optional() }),
        },
      },
      async (request) => {
        if (!request.principal) throw errors.unauthenticated();
        return { facilities: await engine.facilities(request.principal, request.query) };
      },
    );
  };
}
