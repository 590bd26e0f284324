// postinstall: fixes four bugs of postgres.js 3.4.9 (the latest release) that crash or wedge the service when
// PostgreSQL restarts under load — an uncaught TypeError from a write scheduled for a closed socket (kills the
// process), a write buffered for a dead connection that is never sent (the query hangs), and an error of the
// old connection failing the first query on the new one — and, in index.js, a reserved connection (sql.reserve(),
// which the command path uses to pipeline its statements) that closed while reserved being put back into the
// pool of open connections by release(), where every later query on it fails with CONNECTION_CLOSED, and a query on
// such a connection being written into the socket it is reconnecting with for another caller (it hangs). Upstream: porsager/postgres issues #1154, #1066,
// #1208; fix PRs #1168, #1176, #1209, unreleased. tests/faults/postgresRestart.test.ts fails without this.
// Applies only to 3.4.9 and only once (idempotent); any other version is left alone with a warning.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', 'postgres');
const MARK = '/* doudi-patch */';

if (!existsSync(join(root, 'package.json'))) process.exit(0);
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
if (version !== '3.4.9') {
  console.warn(`patch-postgres: postgres ${version} is not 3.4.9; not patched (check tests/faults/postgresRestart.test.ts)`);
  process.exit(0);
}

const connectionEdits = [
  [
    '  function nextWrite(fn) {\n    const x = socket.write(chunk, fn)',
    `  function nextWrite(fn) {\n    if (!socket) { ${MARK} // closed since the write was scheduled: fail the queries, do not throw from a timer\n      chunk = nextWriteTimer = null\n      error(Errors.connection('CONNECTION_CLOSED', options))\n      return false\n    }\n    const x = socket.write(chunk, fn)`,
  ],
  [
    '    clearImmediate(nextWriteTimer)\n    if (socket) {',
    `    clearImmediate(nextWriteTimer)\n    chunk = nextWriteTimer = null ${MARK} // a write buffered for the dead socket must not reach the next one\n    if (socket) {`,
  ],
  [
    "    clearImmediate(nextWriteTimer)\n    socket.removeListener('data', data)",
    `    clearImmediate(nextWriteTimer)\n    chunk = nextWriteTimer = null ${MARK}\n    socket.removeListener('data', data)`,
  ],
  [
    "    !hadError && (query || sent.length) && error(Errors.connection('CONNECTION_CLOSED', options, socket))\n",
    `    !hadError && (query || sent.length) && error(Errors.connection('CONNECTION_CLOSED', options, socket))\n    query = errorResponse = null ${MARK} // settled above; else the next connection's first query gets this error\n`,
  ],
];

const indexEdits = [
  [
    '    function handler(q) {\n      c.queue === full\n        ? queue.push(q)\n        : c.execute(q) || move(c, full)\n    }',
    `    function handler(q) {\n      if (c.reserved === null) return q.reject(Errors.connection('CONNECTION_CLOSED', options)) ${MARK} // lost while reserved: never write into the reconnecting socket\n      c.queue === full\n        ? queue.push(q)\n        : c.execute(q) || move(c, full)\n    }`,
  ],
  [
    '    sql.release = () => {\n      c.reserved = null\n      onopen(c)\n    }',
    `    sql.release = () => {\n      c.reserved = null\n      if (c.queue === closed || c.queue === ended || c.queue === connecting) return ${MARK} // closed while reserved: onclose has it\n      onopen(c)\n    }`,
  ],
];

for (const [file, edits] of [['src/connection.js', connectionEdits], ['cjs/src/connection.js', connectionEdits], ['src/index.js', indexEdits], ['cjs/src/index.js', indexEdits]]) {
  const path = join(root, file);
  let text = readFileSync(path, 'utf8');
  if (text.includes(MARK)) continue;
  for (const [from, to] of edits) {
    if (!text.includes(from)) {
      console.error(`patch-postgres: ${file} does not contain the expected code; not patched`);
      process.exit(1);
    }
    text = text.replace(from, to);
  }
  writeFileSync(path, text);
  console.log(`patch-postgres: patched ${file}`);
}
