// An external count of what a process asks of PostgreSQL: a TCP proxy between it and the server that reads the
// PostgreSQL wire protocol (v3) in both directions and counts, per client connection,
//   - statements: Query ('Q', simple protocol) plus Execute ('E', extended protocol) messages from the client;
//   - round trips: the client's turns — a turn begins when the client sends bytes after the server last sent
//     something (or for the first time) while nothing it sent is still unanswered, i.e. each time the client had
//     to wait for an answer. A pipelining client that sends more while earlier statements are still in flight
//     (counted as Sync 'S' and Query 'Q' messages not yet answered by ReadyForQuery 'Z') is in the same turn,
//     even when the server's first answers happen to cross its later bytes on the wire;
//   - transactions: the server's ReadyForQuery ('Z') status going back to idle ('I') after 'T' or 'E'.
// It knows nothing of Doudi's code: whatever driver or engine is on the other side, it sees the same bytes.
// Bytes are forwarded unchanged as they arrive; parsing copes with messages split across TCP chunks and several
// messages in one chunk. An SSLRequest or GSSENCRequest is answered 'N' by the proxy (plain text, as the server
// would answer without SSL); postgres.js with `ssl` unset sends neither.
import net from 'node:net';

/** Counts of one connection, or a sum over connections. */
export interface WireCounts {
  statements: number;
  roundTrips: number;
  transactions: number;
  /** Turns of the start-up exchange (startup packet, authentication) until the first ReadyForQuery. */
  connectTurns: number;
  /** Connections opened since the last reset. */
  connectionsOpened: number;
  /** Connections that carried at least one turn since the last reset. */
  connectionsUsed: number;
  bytesUp: number;
  bytesDown: number;
}

/** Work between two moments the connection was idle (ReadyForQuery 'I'): one transaction, or one autocommit exchange. */
export interface WireUnit {
  connection: number;
  statements: number;
  roundTrips: number;
  /** True when the server reported a transaction block ('T' or 'E') during the unit. */
  transaction: boolean;
  /** performance.now() of the unit's first turn, and of the ReadyForQuery that ended it. */
  startedAt: number;
  endedAt: number;
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;

const zero = (): Omit<WireCounts, 'connectionsUsed'> => ({ statements: 0, roundTrips: 0, transactions: 0, connectTurns: 0, connectionsOpened: 0, bytesUp: 0, bytesDown: 0 });

/** Splits a byte stream of typed PostgreSQL messages (type byte, int32 length, body) into messages. */
class MessageReader {
  private buf: Buffer = Buffer.alloc(0);

  feed(chunk: Buffer, onMessage: (type: number, body: Buffer) => void): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    let off = 0;
    while (this.buf.length - off >= 5) {
      const len = this.buf.readInt32BE(off + 1);
      if (len < 4) throw new Error(`wire proxy: bad message length ${len}`);
      if (this.buf.length - off < 1 + len) break;
      onMessage(this.buf[off], this.buf.subarray(off + 5, off + 1 + len));
      off += 1 + len;
    }
    // Keep only the incomplete tail (copied, so the chunk it came from can be freed).
    this.buf = off === 0 ? this.buf : off >= this.buf.length ? Buffer.alloc(0) : Buffer.from(this.buf.subarray(off));
  }
}

interface Conn {
  id: number;
  counts: Omit<WireCounts, 'connectionsUsed'>;
  /** Who sent bytes last: the client's next send after the server's is a new turn. */
  lastSender: 'client' | 'server' | null;
  /** Until the first ReadyForQuery, turns count as connect turns. */
  ready: boolean;
  /** ReadyForQuery status last seen ('I', 'T', 'E'). */
  status: string;
  /** The client sent bytes the server has not answered with a ReadyForQuery yet. */
  awaiting: boolean;
  /** Syncs and simple queries sent and not yet answered by a ReadyForQuery. */
  outstanding: number;
  unit: { statements: number; roundTrips: number; transaction: boolean; startedAt: number };
  client: net.Socket;
  server: net.Socket;
}

export interface WireCounter {
  /** The port the proxy listens on (127.0.0.1). */
  port: number;
  /** A postgres:// URL through the proxy, for `database`. */
  url(database: string, user?: string): string;
  /** Zeroes every counter (and the recorded units). */
  reset(): void;
  /** The sum over all connections since the last reset. */
  counts(): WireCounts;
  /** Start (or stop) recording the units of work of every connection. */
  recordUnits(on: boolean): void;
  units(): WireUnit[];
  /** Connections opened since the proxy started (never reset). */
  openedTotal(): number;
  /** Resolves once no bytes have moved for `quietMs` and no connection is waiting for the server. */
  settled(quietMs?: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startWireCounter(target: { host: string; port: number }): Promise<WireCounter> {
  const conns = new Set<Conn>();
  let total = zero();
  let used = new Set<number>();
  let serial = 0; // also the number of connections ever opened
  let lastActivity = performance.now();
  let recording = false;
  let recorded: WireUnit[] = [];

  const newUnit = () => ({ statements: 0, roundTrips: 0, transaction: false, startedAt: performance.now() });

  const server = net.createServer((client) => {
    client.setNoDelay(true);
    const upstream = net.connect({ host: target.host, port: target.port });
    upstream.setNoDelay(true);
    const c: Conn = { id: ++serial, counts: zero(), lastSender: null, ready: false, status: 'I', awaiting: false, outstanding: 0, unit: newUnit(), client, server: upstream };
    conns.add(c);
    total.connectionsOpened += 1;
    c.counts.connectionsOpened = 1;
    const up = new MessageReader();
    const down = new MessageReader();
    // The untyped start-up phase: [SSLRequest | GSSENCRequest]* then a StartupMessage (or a CancelRequest).
    let startup = true;
    let pending: Buffer = Buffer.alloc(0);

    const clientTurn = () => {
      if (c.lastSender === 'client') return;
      c.lastSender = 'client';
      if (c.ready && c.outstanding > 0) return; // still in flight: the client did not wait
      if (!c.ready) {
        c.counts.connectTurns += 1;
        total.connectTurns += 1;
        return;
      }
      c.counts.roundTrips += 1;
      total.roundTrips += 1;
      if (c.unit.roundTrips === 0) c.unit.startedAt = performance.now();
      c.unit.roundTrips += 1;
      used.add(c.id);
    };

    const typed = (data: Buffer) => {
      upstream.write(data);
      up.feed(data, (type) => {
        clientTurn();
        if (type === 0x53 /* S */ || type === 0x51 /* Q */) c.outstanding += 1;
        c.awaiting = type !== 0x58; // X (Terminate) expects no answer
        if (type === 0x51 /* Q */ || type === 0x45 /* E */) {
          c.counts.statements += 1;
          total.statements += 1;
          c.unit.statements += 1;
        }
      });
    };

    client.on('data', (chunk: Buffer) => {
      lastActivity = performance.now();
      c.counts.bytesUp += chunk.length;
      total.bytesUp += chunk.length;
      if (!startup) return typed(chunk);
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      while (startup && pending.length >= 8) {
        const len = pending.readInt32BE(0);
        if (len < 8 || len > 10_000) {
          client.destroy(new Error(`wire proxy: bad start-up packet length ${len}`));
          return;
        }
        if (pending.length < len) break;
        const code = pending.readInt32BE(4);
        const packet = pending.subarray(0, len);
        pending = pending.subarray(len);
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
          client.write('N'); // no SSL, no GSS encryption: the client goes on in plain text
          continue;
        }
        clientTurn();
        c.awaiting = code !== CANCEL_REQUEST;
        upstream.write(packet);
        startup = false;
      }
      if (!startup && pending.length) {
        const rest = Buffer.from(pending);
        pending = Buffer.alloc(0);
        typed(rest);
      }
    });

    upstream.on('data', (chunk: Buffer) => {
      lastActivity = performance.now();
      c.counts.bytesDown += chunk.length;
      total.bytesDown += chunk.length;
      c.lastSender = 'server';
      client.write(chunk);
      down.feed(
        chunk,
        (type, body) => {
          if (type !== 0x5a /* Z */) return;
          const status = String.fromCharCode(body[0]);
          c.outstanding = Math.max(0, c.outstanding - 1);
          c.awaiting = c.outstanding > 0;
          if (!c.ready) {
            c.ready = true;
            c.status = status;
            c.unit = newUnit();
            return;
          }
          if (status !== 'I') c.unit.transaction = true;
          if (status === 'I') {
            if (c.status !== 'I') {
              c.counts.transactions += 1;
              total.transactions += 1;
            }
            if (recording && (c.unit.statements > 0 || c.unit.roundTrips > 0)) {
              recorded.push({ connection: c.id, ...c.unit, endedAt: performance.now() });
            }
            c.unit = newUnit();
          }
          c.status = status;
        },
      );
    });

    const end = () => {
      conns.delete(c);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;

  return {
    port,
    url: (database, user = 'postgres') => `postgres://${encodeURIComponent(user)}@127.0.0.1:${port}/${database}`,
    reset() {
      total = zero();
      used = new Set();
      recorded = [];
      for (const c of conns) {
        c.counts = zero();
        c.unit = newUnit();
      }
    },
    counts: () => ({ ...total, connectionsUsed: used.size }),
    recordUnits(on) {
      recording = on;
    },
    units: () => [...recorded],
    openedTotal: () => serial,
    async settled(quietMs = 50, timeoutMs = 30_000) {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const now = performance.now();
        if (now - lastActivity >= quietMs && [...conns].every((c) => !c.awaiting)) return;
        if (now > deadline) throw new Error('wire proxy: the connections did not settle');
        await new Promise((r) => setTimeout(r, Math.max(5, Math.min(quietMs, quietMs - (now - lastActivity)))));
      }
    },
    async close() {
      for (const c of conns) {
        c.client.destroy();
        c.server.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
