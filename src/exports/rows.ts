// Rows of a table as one async stream, whether the table holds an array (a report) or an async iterable (a long
// list read from the database in batches), and a writer that waits when the reader is slower than the writer.
import type { Writable } from 'node:stream';
import type { ReportRow, ReportTable } from '../reports/table.js';

export async function* rowsOf<Row extends ReportRow>(table: ReportTable<Row>): AsyncGenerator<Row> {
  if (Array.isArray(table.rows)) yield* table.rows;
  else for await (const row of table.rows) yield row;
}

/**
 * The first `n` rows (to size the columns) and an iterator over all rows, those first ones included, so a
 * streamed table is read once and never held whole.
 */
export async function peek<Row>(rows: AsyncIterator<Row>, n: number): Promise<{ head: Row[]; all: AsyncGenerator<Row> }> {
  const head: Row[] = [];
  let done = false;
  while (head.length < n) {
    const next = await rows.next();
    if (next.done) {
      done = true;
      break;
    }
    head.push(next.value);
  }
  async function* all() {
    yield* head;
    if (done) return;
    for (;;) {
      const next = await rows.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return { head, all: all() };
}

/** Write a chunk; when the stream's buffer is full, wait until it drains (bounded memory under a slow reader). */
export async function write(out: Writable, chunk: string | Buffer): Promise<void> {
  if (out.destroyed) throw new Error('the export stream was closed');
  if (!out.write(chunk)) await drained(out);
}

export async function drained(out: Writable): Promise<void> {
  if (out.destroyed) throw new Error('the export stream was closed');
  if (!out.writableNeedDrain) return;
  await new Promise<void>((resolve, reject) => {
    const done = (error?: Error) => {
      out.off('drain', onDrain);
      out.off('close', onClose);
      if (error) reject(error);
      else resolve();
    };
    const onDrain = () => done();
    const onClose = () => done(new Error('the export stream was closed'));
    out.on('drain', onDrain);
    out.on('close', onClose);
  });
}
