// The public notice and the check of a printed copy as JSON (no credential; the same engine functions as the public
// pages under /public, src/public/). Read-only: an objection is lodged through the page's form, which carries the
// CSRF token a JSON client could not hold (src/public/formToken.ts).
import { z } from 'zod';
import type { Engine } from '../../engine/index.js';
import { documentCheckInputSchema, documentCodeInput } from '../../engine/publicInput.js';
import type { App } from '../app.js';
import { errorResponse } from '../schemas/common.js';

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

export const publicNoticeView = z
  .strictObject({
    code: z.string().describe('as printed: ABCD-EFGH'),
    villageName: z.string(),
    townshipName: z.string(),
    countyName: z.string(),
    periodStart: isoDate,
    periodEnd: isoDate,
    objectTo: z.strictObject({ office: z.string(), address: z.string(), telephone: z.string() }),
    issuedOn: isoDate.describe('China date the list was issued'),
    open: z.boolean().describe('some household on it is still in its notice period'),
    rows: z.array(
      z.strictObject({
        caseNumber: z.string(),
        name: z.string().describe('as printed'),
        maskedId: z.string().describe('as printed (masked)'),
        sex: z.string(),
        categories: z.array(z.string()),
        mode: z.string().nullable(),
        open: z.boolean().describe("this household's notice runs now: an objection may be lodged online"),
      }),
    ),
  })
  .describe('a posted 公示名单: exactly what the paper shows, plus whether each household is still in its notice period');

const documentCheckView = z.strictObject({
  match: z.boolean().describe('一致 (true) / 不一致 (false)'),
  by: z.enum(['code', 'sha256', 'both']),
  document: z
    .union([
      z.strictObject({ public: z.literal(true), kind: z.literal('publicity_list'), kindLabel: z.string(), issuedOn: isoDate, office: z.string(), notice: publicNoticeView }),
      z.strictObject({ public: z.literal(false), issuedOn: isoDate, office: z.string() }),
    ])
    .nullable()
    .describe('what may be said of a matching document: a 公示名单 in full; any other kind only when and by which office'),
});

export function publicNoticeRoutes(engine: Engine) {
  return async function register(app: App) {
    app.get(
      '/public/api/notices/:code',
      {
        config: { public: true },
        schema: {
          tags: ['public'],
          summary: 'The posted notice (公示) a printed code names; no credential',
          security: [],
          params: z.strictObject({ code: documentCodeInput }),
          response: { 200: publicNoticeView, 400: errorResponse, 404: errorResponse, 429: errorResponse },
        },
      },
      async (request) => engine.publicNotice(request.params.code),
    );

    app.get(
      '/public/api/check',
      {
        config: { public: true },
        schema: {
          tags: ['public'],
          summary: 'Check a printed copy by its code and/or SHA-256 (一致 / 不一致); no credential',
          security: [],
          querystring: documentCheckInputSchema,
          response: { 200: documentCheckView, 400: errorResponse, 429: errorResponse },
        },
      },
      async (request) => engine.checkDocument(request.query),
    );
  };
}
