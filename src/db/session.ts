/**
 * The command path's connection to the database: raw, prepared statements sent in pipelined batches, so a
 * command costs two round trips — [BEGIN, lock, load] and [write…, COMMIT] — whatever it writes.
 *
 * Why not drizzle here: the query builder and its result mapping took a sixth of the service's CPU per
 * command, and drizzle awaits each statement before sending the next. postgres.js pipelines the queries of a
 * reserved connection (it writes them back to back and matches the answers in order) and prepares each
 * statement text once per connection; PGlite runs in-process, where a round trip costs nothing, so it runs
 * the same statements one after another inside its own transaction.
 *
 * Parameters are passed as text and cast in SQL (`$1::text::jsonb`), so both drivers send the same values
 * whatever types they infer, and results that are not plain scalars come back as JSON text built by the
 * database, parsed once here: the two drivers then return identical shapes.
 */
import type { PGlite, Transaction as PgliteTransaction } from '@electric-sql/pglite';
import type { Sql, ReservedSql } from 'postgres';
import type { Db } from './types.js';

export interface Stmt {
  text: string;
  params: readonly unknown[];
}

export type Row = Record<string, unknown>;

export interface SqlSession {
  /** Runs the statements in order, in one round trip; resolves with each statement's rows. */
  batch(stmts: readonly Stmt[]): Promise<Row[][]>;
}

/**
 * What a transaction's body hands back: statements to run with COMMIT in the last round trip, and a result —
 * or, when the result needs what those statements return (RETURNING), a function of their rows, called once
 * the transaction has committed.
 */
export type TransactionEnd<T> =
  | { final: readonly Stmt[]; result: T }
  | { final: readonly Stmt[]; resultOf: (finalRows: Row[][]) => T };

/** The transaction's result from its end and the rows of its final statements (one array per statement). */
export const endResult = <T>(end: TransactionEnd<T>, finalRows: Row[][]): T => ('resultOf' in end ? end.resultOf(finalRows) : end.result);

export interface CommandDb {
  /**
   * One transaction. The body's first `batch` travels together with BEGIN; `final` travels with COMMIT. A body
   * that throws rolls the transaction back; so does a statement that fails (COMMIT of an aborted
   * transaction is a rollback in PostgreSQL).
   */
  transaction<T>(body: (s: SqlSession) => Promise<TransactionEnd<T>>): Promise<T>;
  /** One statement outside any explicit transaction (autocommit). */
  run(stmt: Stmt): Promise<Row[]>;
}

const BEGIN: Stmt = { text: 'begin', params: [] };
const COMMIT: Stmt = { text: 'commit', params: [] };

/** The CommandDb over the same client a drizzle Db was built on (drizzle keeps it as `$client`). */
export function commandDbOf(db: Db): CommandDb {
  const cached = handles.get(db);
  if (cached) return cached;
  const client = (db as unknown as { $client: unknown }).$client;
  if (!client) throw new Error('commandDbOf: the drizzle database has no $client');
  const handle = isPglite(client) ? pgliteCommandDb(client) : postgresCommandDb(client as Sql);
  handles.set(db, handle);
  return handle;
}

const handles = new WeakMap<object, CommandDb>();

function isPglite(client: unknown): client is PGlite {
  return typeof client === 'object' && client !== null && typeof (client as PGlite).transaction === 'function' && typeof (client as PGlite).exec === 'function';
}

function postgresCommandDb(sql: Sql): CommandDb {
  const send = (conn: ReservedSql | Sql, stmts: readonly Stmt[]): Promise<Row[][]> => {
    // Issued without awaiting one another: postgres.js pipelines them on the reserved connection.
    return Promise.all(stmts.map((s) => conn.unsafe(s.text, s.params as never[], { prepare: true }) as unknown as Promise<Row[]>));
  };
  return {
    async run(stmt) {
      const [rows] = await send(sql, [stmt]);
      return rows;
    },
    async transaction(body) {
      const conn = await reserveWithin(sql, RESERVE_TIMEOUT_MS);
      let first = true;
      let open = false;
      const session: SqlSession = {
        async batch(stmts) {
          if (!first) return send(conn, stmts);
          first = false;
          open = true;
          const [, ...rest] = await send(conn, [BEGIN, ...stmts]);
          return rest;
        },
      };
      try {
        const end = await body(session);
        const { final } = end;
        // COMMIT travels with the last batch: whatever happens to it, the transaction ends there (a failed
        // statement makes COMMIT a rollback; a lost connection makes the server roll back).
        const skip = open ? 0 : 1;
        const last = open ? [...final, COMMIT] : [BEGIN, ...final, COMMIT]; // nothing read: one round trip in all
        open = false;
        const rows = await send(conn, last);
        return endResult(end, rows.slice(skip, skip + final.length));
      } catch (err) {
        // Still open after a refusal of the plan or a failed load statement: roll back before the connection
        // goes back to the pool. Not when the connection itself failed — there is nothing left to roll back,
        // and a statement sent to a reconnecting connection could wait for the database to come back.
        if (open && !isConnectionError(err)) await conn.unsafe('rollback').catch(() => {});
        throw err;
      } finally {
        conn.release();
      }
    },
  };
}

/**
 * How long a command waits for a connection of its own. Under load the wait is a few milliseconds; longer
 * means the database is away, and postgres.js 3.4.9 may then keep a reservation waiting until it is back
 * (seen in tests/faults/postgresRestart.test.ts): the command answers 503 NOT_READY instead of hanging.
 */
const RESERVE_TIMEOUT_MS = 5000;

async function reserveWithin(sql: Sql, ms: number): Promise<ReservedSql> {
  let timer: NodeJS.Timeout | undefined;
  let late = false;
  const reserving = sql.reserve();
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      late = true;
      reject(Object.assign(new Error(`no database connection within ${ms} ms`), { code: 'CONNECT_TIMEOUT' }));
    }, ms);
  });
  try {
    return await Promise.race([reserving, timeout]);
  } finally {
    clearTimeout(timer);
    // A reservation granted after we gave up goes straight back to the pool.
    if (late) reserving.then((c) => c.release(), () => {});
  }
}

/** An error of the connection (closed, refused, timed out), as opposed to one the server answered with. */
function isConnectionError(err: unknown): boolean {
  const e = err as { name?: string; code?: string; errno?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (e.name === 'PostgresError') return false; // the server answered: the connection is alive
  return typeof e.code === 'string' && (e.code.startsWith('CONNECT') || e.errno !== undefined);
}

function pgliteCommandDb(pg: PGlite): CommandDb {
  const send = async (tx: PgliteTransaction | PGlite, stmts: readonly Stmt[]): Promise<Row[][]> => {
    const out: Row[][] = [];
    for (const s of stmts) out.push((await tx.query<Row>(s.text, s.params as unknown[])).rows);
    return out;
  };
  return {
    async run(stmt) {
      const [rows] = await send(pg, [stmt]);
      return rows;
    },
    async transaction(body) {
      return pg.transaction(async (tx) => {
        const end = await body({ batch: (stmts) => send(tx, stmts) });
        const rows = end.final.length > 0 ? await send(tx, end.final) : [];
        return endResult(end, rows);
      });
    },
  };
}

/** A JSON text column built by the database (`… ::text AS doc`), parsed. */
export function docOf<T>(rows: Row[], column = 'doc'): T | null {
  const v = rows[0]?.[column];
  if (v === undefined || v === null) return null;
  return (typeof v === 'string' ? JSON.parse(v) : v) as T;
}
