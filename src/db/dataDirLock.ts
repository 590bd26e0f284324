/**
 * One process per PGlite data directory. PGlite is PostgreSQL compiled to WebAssembly inside the process: it has
 * no postmaster and no lock of its own, so a second process opening the same directory (`npm run seed` beside a
 * running `npm start`, a worker on PGlite) would write the same files under the first one's feet — it once spun
 * for ten minutes. A lock file in the directory, holding the owner's pid, makes the second process fail at once
 * with a message that names the owner.
 *
 * The file is created with O_EXCL (`wx`), so of two processes starting together exactly one gets it. A lock whose
 * pid is no longer running (the owner was killed with SIGKILL, or the machine rebooted) is stale: it is removed
 * and taken. A lock naming this very process's pid but not taken by it is stale as well (a container's pid 1 of a
 * previous life). A pid that runs but belongs to another program after pid reuse is taken for the owner: the
 * message says which pid, so an operator can check and delete the file.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const LOCK_FILE = 'doudi.lock';

/** Directories this process holds (a second open of the same directory in one process is refused too). */
const held = new Set<string>();

export class DataDirLockedError extends Error {
  readonly code = 'DATA_DIR_LOCKED';
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `the PGlite data directory ${dataDir} is in use by process ${pid} (lock file ${join(dataDir, LOCK_FILE)}). ` +
        'PGlite serves one process only: stop that process first (a service on PGlite runs its scheduler itself, WORKER=on), ' +
        'or use PostgreSQL (DATABASE_URL) to run several processes. If no such process is a Doudi, delete the lock file.',
    );
    this.name = 'DataDirLockedError';
  }
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user — still running.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readPid(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the directory's lock, or throws DataDirLockedError when a running process holds it. Resolves to the
 * function that releases it (removes the file if it is still ours).
 */
export function lockDataDir(dataDir: string): () => void {
  const dir = resolve(dataDir);
  const path = join(dir, LOCK_FILE);
  if (held.has(dir)) throw new DataDirLockedError(dir, process.pid);
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o644);
      try {
        writeSync(fd, `${process.pid}\n`);
      } finally {
        closeSync(fd);
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw err;
      const pid = readPid(path);
      // An empty or half-written file: its writer may be between open and write; look again.
      if (pid === undefined && attempt < 2) continue;
      if (pid !== undefined && pid !== process.pid && running(pid)) throw new DataDirLockedError(dir, pid);
      // Stale: the owner is gone. Remove and try again (O_EXCL decides if another process does the same now).
      try {
        unlinkSync(path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
  }
  held.add(dir);
  const release = () => {
    process.off('exit', release);
    if (!held.delete(dir)) return;
    if (readPid(path) !== process.pid) return;
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  };
  // A process that exits without closing the database (process.exit after an error) leaves no lock behind.
  process.on('exit', release);
  return release;
}
