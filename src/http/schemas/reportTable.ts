/**
 * A report table as JSON (src/reports/table.ts through routes/reports.ts tableJson): the 200 of GET /reports/<name>,
 * GET /reports/income, and the table inside a projection. Strict, as the other response schemas (views.ts).
 */
import { z } from 'zod';

export const reportTableSchema = z
  .strictObject({
    id: z.string(),
    title: z.string(),
    scope: z.string().describe('the region-code prefix the figures cover'),
    generatedAt: z.string().describe('ISO instant (UTC)'),
    columns: z.array(z.strictObject({ key: z.string(), label: z.string(), type: z.enum(['text', 'integer', 'decimal', 'money', 'percent', 'date', 'dateTime']) })),
    rows: z.array(z.record(z.string(), z.union([z.string(), z.number(), z.null()])).describe('cells keyed by column key; money in yuan, dates as ISO strings')),
  })
  .meta({ id: 'ReportTable' });
