/**
 * Sending a table as a download: `sendTable(reply, table, format, meta)` writes any ReportTable as XLSX or CSV
 * (src/exports) to the response as its rows arrive, and records the export in the export log. The routes of
 * the exports (routes/exports.ts), of the reports and of income call it with a table the engine built — masked
 * and bounded by the jurisdiction already: a table never holds a value its reader may not see.
 *
 * The record is written when the download ends: `completed` before the last byte leaves (so a client that has
 * the whole file can find its record), `aborted` when the reader went away, `failed` when reading the rows
 * failed (the download then breaks off: the status was sent with the first bytes).
 */
import { PassThrough, Transform } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ExportRecord } from '../engine/exports.js';
import type { Principal } from '../engine/types.js';
import { CONTENT_TYPES, EXPORT_FORMATS, exportFileName, exportReport, type ExportFormat } from '../exports/index.js';
import { rowsOf } from '../exports/rows.js';
import type { ReportRow, ReportTable } from '../reports/table.js';
import { errors } from '../errors.js';

export interface SendTableMeta {
  /** Whoever appends export records: the engine (engine.recordExport). */
  recorder: { recordExport(principal: Principal, record: ExportRecord): Promise<unknown> };
  principal: Principal;
  request: FastifyRequest;
  /** The export's name in the log; default the table's id. */
  export?: string;
  /** The filters, without personal values (never a search text or an ID number). */
  filters?: Record<string, unknown>;
  /** Whether the rows carry ID numbers, and how (default 'none'). */
  idNumbers?: ExportRecord['idNumbers'];
  /** The scope as people name it, for the sheet's scope line. */
  scopeLabel?: string;
  note?: string;
}

/** `?format=xlsx|csv`, for routes that take the format as a query field. */
export const exportFormatField = z.enum(EXPORT_FORMATS, { error: 'expected xlsx or csv' });

/** A format's media type without parameters, as the OpenAPI document names it (the answer adds a charset to CSV). */
export const mediaTypeOf = (format: ExportFormat) => CONTENT_TYPES[format].split(';')[0].trim();

/**
 * The documented success of a download: the file, under the media type of each format the route may answer
 * (so a client and the contract test know what a 200 carries), streamed.
 */
export function downloadResponse(formats: readonly ExportFormat[] = EXPORT_FORMATS) {
  const file = z.string().meta({ format: 'binary' });
  return {
    200: {
      description: `the file (${formats.map((f) => (f === 'csv' ? 'CSV in UTF-8 with BOM' : 'XLSX')).join(' or ')}), streamed as the rows are read`,
      content: Object.fromEntries(formats.map((f) => [mediaTypeOf(f), { schema: file }])),
    },
  };
}

/**
 * The format of a download from its path's extension (`.xlsx`, `.csv`) or `?format=`; both given must agree,
 * and one must be given.
 */
export function formatOf(fromPath: ExportFormat | undefined, fromQuery: ExportFormat | undefined): ExportFormat {
  if (fromPath && fromQuery && fromPath !== fromQuery) throw errors.validationFailed([{ path: 'query.format', message: `the path asks for ${fromPath}` }]);
  const format = fromPath ?? fromQuery;
  if (!format) throw errors.validationFailed([{ path: 'query.format', message: 'expected xlsx or csv (or a path ending in .xlsx or .csv)' }]);
  return format;
}

export function sendTable<Row extends ReportRow>(reply: FastifyReply, table: ReportTable<Row>, format: ExportFormat, meta: SendTableMeta): FastifyReply {
  let rowCount = 0;
  let allRead!: () => void;
  const rowsDone = new Promise<void>((resolve) => (allRead = resolve));
  async function* counted(): AsyncGenerator<ReportRow> {
    for await (const row of rowsOf(table as unknown as ReportTable)) {
      rowCount++;
      yield row;
    }
    allRead();
  }

  let recorded: Promise<unknown> | null = null;
  const record = (outcome: ExportRecord['outcome']) => {
    recorded ??= meta.recorder
      .recordExport(meta.principal, {
        export: meta.export ?? table.id,
        format,
        scope: table.scope,
        filters: meta.filters ?? {},
        idNumbers: meta.idNumbers ?? 'none',
        rowCount,
        outcome,
        requestId: meta.request.id,
      })
      .then(() => meta.request.log.info({ export: meta.export ?? table.id, format, scope: table.scope, rowCount, outcome }, 'export %s', outcome));
    return recorded;
  };

  // Holds the end of the response until the record is written: a complete file has its record.
  const body = new Transform({
    transform: (chunk, _enc, done) => done(null, chunk),
    flush: (done) => {
      rowsDone.then(() => record('completed')).then(() => done(), done);
    },
  });
  body.on('close', () => {
    if (!recorded) void record('aborted').catch((err) => meta.request.log.error({ err }, 'export record failed'));
  });

  const sink: PassThrough | Transform = body;
  exportReport({ ...(table as unknown as ReportTable), rows: counted() }, format, sink, { scopeLabel: meta.scopeLabel, note: meta.note }).catch((err) => {
    if (body.destroyed) return; // the reader went away: recorded as aborted
    meta.request.log.error({ err }, 'export failed');
    void record('failed').catch(() => {});
    body.destroy(err);
  });

  return reply
    .header('content-type', CONTENT_TYPES[format])
    .header('content-disposition', `attachment; filename="${exportFileName(table, format)}"`)
    .header('cache-control', 'no-store')
    .header('x-content-type-options', 'nosniff')
    .send(body);
}
