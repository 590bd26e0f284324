// Builds the database handle: postgres.js when a DATABASE_URL is configured, embedded PGlite otherwise.
// Options are passed in by main.ts; nothing here reads the environment.
import { mkdir } from 'node:fs/promises';
import net from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import type { Logger as DrizzleLogger } from 'drizzle-orm/logger';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { lockDataDir } from './dataDirLock.js';
import * as schema from './schema.js';
import type { Db } from './types.js';

/** The slice of a pino logger the database layer uses. */
export interface DbLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
}

export interface DbOptions {
  /** postgres://… — when set, connect to that server; when unset, use embedded PGlite in `dataDir`. */
  databaseUrl?: string;
  /** PGlite data directory; 'memory://' for a throwaway database. Ignored when databaseUrl is set. */
  dataDir: string;
  /** PGlite only: start from this data directory tarball (PGlite's dumpDataDir) instead of an empty cluster. */
  loadDataDir?: Blob;
  /** Connection pool size for postgres.js. */
  maxConnections?: number;
  logger?: DbLogger;
}

export interface DbHandle {
  db: Db;
  kind: 'postgres' | 'pglite';
  close(): Promise<void>;
  /** Resolves when the database answers a trivial query; rejects otherwise (for readiness checks). */
  ping(): Promise<void>;
  /** The embedded PGlite instance (pglite kind only), e.g. to dump its data directory. */
  pglite?: PGlite;
  /**
   * LISTEN on `channel`: `onNotify` runs for each notification, and also each time the listening connection
   * is (re)established (postgres.js reconnects by itself; notifications sent while it was away are lost, so a
   * listener should then look for work). Resolves, once listening, to a function that stops it. Use
   * src/db/listen.ts, which never throws.
   */
  listen?(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  /**
   * PostgreSQL only: a session-level advisory lock held on a connection of its own (outside the pool, so a pool of
   * one connection still has it free for the work done under the lock). Resolves once held — `onWait` is called
   * first when another session holds it — to the function that releases it. A process that dies loses its
   * session, and with it the lock.
   */
  advisoryLock?(key: bigint, onWait?: () => void): Promise<() => Promise<void>>;
}

export async function createDb(options: DbOptions): Promise<DbHandle> {
  const { logger } = options;
  // SQL text only, at debug level: parameters carry personal data (ID numbers) and must not reach logs.
  const queryLogger: DrizzleLogger | undefined = logger && {
    logQuery: (query) => logger.debug({ sql: query }, 'db query'),
  };

  if (options.databaseUrl) {
    const client = postgres(options.databaseUrl, {
      max: options.maxConnections ?? 10,
      // Not in postgres.js's type declarations, but a documented option (a custom socket factory).
      ...({ socket: roomySocket } as object),
      backoff: (retries: number) => Math.min(0.05 * 2 ** retries, 1),
      // Notices ("relation already exists, skipping" from the migrator) are noise, not errors.
      onnotice: (notice) => logger?.debug({ notice: notice.message }, 'db notice'),
    });
    const db: Db = drizzlePostgres({ client, schema, logger: queryLogger });
    const handle: DbHandle = {
      db,
      kind: 'postgres',
      close: () => client.end({ timeout: 5 }),
      ping: async () => {
        await db.execute(sql`select 1`);
      },
      advisoryLock: async (key, onWait) => {
        const session = postgres(options.databaseUrl!, { max: 1, onnotice: () => {}, ...({ socket: roomySocket } as object) });
        try {
          const [tried] = await session`select pg_try_advisory_lock(${String(key)}::bigint) as ok`;
          if (!tried.ok) {
            onWait?.();
            await session`select pg_advisory_lock(${String(key)}::bigint)`;
          }
        } catch (err) {
          await session.end({ timeout: 5 }).catch(() => {});
          throw err;
        }
        return async () => {
          try {
            await session`select pg_advisory_unlock(${String(key)}::bigint)`;
          } finally {
            // Ending the session releases the lock anyway, should the unlock itself have failed.
            await session.end({ timeout: 5 });
          }
        };
      },
      // postgres.js keeps one connection of its own for all LISTENs (outside the pool) and re-listens after a reconnect.
      listen: async (channel, onNotify) => {
        const { unlisten } = await client.listen(channel, onNotify, () => onNotify(''));
        return unlisten;
      },
    };
    logger?.info({ kind: handle.kind, host: hostOf(options.databaseUrl) }, 'database connected');
    return handle;
  }

  // A directory on disk is one process's (src/db/dataDirLock.ts): a second process fails here at once, naming the first.
  let unlock = () => {};
  if (!options.dataDir.includes('://')) {
    await mkdir(options.dataDir, { recursive: true });
    unlock = lockDataDir(options.dataDir);
  }
  let client: PGlite;
  try {
    // A prepared data directory (a tarball from dumpDataDir) skips initdb: tests start from a migrated template.
    client = await PGlite.create(options.dataDir, options.loadDataDir ? { loadDataDir: options.loadDataDir } : undefined);
  } catch (err) {
    unlock();
    throw err;
  }
  const db: Db = drizzlePglite({ client, schema, logger: queryLogger });
  logger?.info({ kind: 'pglite', dataDir: options.dataDir }, 'database opened');
  return {
    db,
    kind: 'pglite',
    pglite: client,
    close: async () => {
      try {
        await client.close();
      } finally {
        unlock();
      }
    },
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    // PGlite has one session: its own NOTIFYs reach it after each commit.
    listen: async (channel, onNotify) => {
      const unlisten = await client.listen(channel, onNotify);
      return () => unlisten();
    },
  };
}

/**
 * The TCP socket postgres.js connects with, with a 1 MiB write buffer instead of Node's 16 KiB. The command
 * path pipelines a command's writes and COMMIT in one go (src/db/session.ts); a write carrying a large
 * snapshot filled the default buffer, postgres.js took that as backpressure and held COMMIT back until the
 * write was answered — one more round trip per command.
 *
 * Returned while still connecting (net.Socket queues the start-up message until it is connected): a factory
 * that waited and rejected on a refused connection would leave postgres.js's connection slot "connecting"
 * forever (seen in tests/faults/postgresRestart.test.ts); this way a refused or lost connection reaches
 * postgres.js as the socket's own error and close, and it reconnects with its backoff as usual. One host only
 * (the first of a multi-host URL); a Unix-socket path when the URL names one.
 */
function roomySocket(o: { host: string[]; port: number[]; path?: string | false }): net.Socket {
  const socket = new net.Socket({ writableHighWaterMark: 1 << 20 } as net.SocketConstructorOpts);
  socket.setNoDelay(true);
  if (o.path) socket.connect(o.path);
  else socket.connect(o.port[0], o.host[0]);
  return socket;
}

/** Host and database of a connection URL, without credentials, for logs. */
export function hostOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname}`;
  } catch {
    return '(unparsable url)';
  }
}
