// The README's walk-through, run as a new user would: `DEMO_CLOCK=on npm start` in one process, the bash block
// from the README in another. Then SIGTERM: the service must stop cleanly.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabaseUrl } from '../helpers/db.js';

const root = new URL('../../', import.meta.url).pathname;

/** The bash block between <!-- name:begin --> and <!-- name:end --> in the README. */
function readmeBlock(name: string): string {
  const readme = readFileSync(new URL('README.md', `file://${root}`), 'utf8');
  const block = readme.slice(readme.indexOf(`<!-- ${name}:begin -->`), readme.indexOf(`<!-- ${name}:end -->`));
  return block.slice(block.indexOf('```bash') + 7, block.lastIndexOf('```'));
}

/** The walk-through as a reader runs it: the sign-in, then both blocks, one after the other, in one terminal. */
const walkthrough = () =>
  `${readmeBlock('sign-in')}\necho '--- walk'\n${readmeBlock('walkthrough')}\necho '--- care'\n${readmeBlock('walkthrough-care')}`;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Polls /readyz until the service answers ready (or the process dies). */
async function waitReady(base: string, proc: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`the service exited with ${proc.exitCode}`);
    try {
      if ((await fetch(`${base}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the service did not become ready');
}

describe('README walk-through', () => {
  let server: ChildProcess;
  let base: string;
  let env: NodeJS.ProcessEnv;
  let drop: () => Promise<void>;
  let serverOutput = '';

  beforeAll(async () => {
    const db = await createTestDatabaseUrl();
    drop = db.drop;
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    env = { ...process.env, PORT: String(port), HOST: '127.0.0.1', DEMO_CLOCK: 'on', DOUDI_DATA_DIR: 'memory://', LOG_LEVEL: 'warn', NODE_ENV: 'development' };
    delete env.DATABASE_URL;
    delete env.JWT_SECRET;
    if (db.url) env.DATABASE_URL = db.url;
    // `npm start` itself (the production build, then node dist/main.js). detached: a process group of its own, so a
    // failed run can SIGKILL npm's node child too; SIGTERM goes to npm, which relays it.
    server = spawn('npm', ['start'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    server.stdout!.on('data', (d) => (serverOutput += d));
    server.stderr!.on('data', (d) => (serverOutput += d));
    await waitReady(base, server, 90_000);
  }, 120_000);

  afterAll(async () => {
    if (server && server.exitCode === null && server.signalCode === null) process.kill(-server.pid!, 'SIGKILL');
    await drop?.();
  });

  it('walks the Sun household from survey to placement, then the service stops cleanly on SIGTERM', async () => {
    const run = spawnSync('bash', ['-e', '-c', walkthrough()], { cwd: root, env: { ...env, BASE: base }, encoding: 'utf8', timeout: 420_000 });
    expect(run.status, `${run.stdout}\n${run.stderr}\n${serverOutput}`).toBe(0);
    const [signIn, walk] = run.stdout.trim().split('--- walk\n');
    expect(signIn.trim().split('\n')).toEqual(['true', 'lb-officer', '204']);
    const [first, care] = walk.trim().split('--- care\n');
    const lines = first.trim().split('\n');
    expect(lines[0]).toMatch(/^case [0-9a-f-]{36}$/);
    expect(care.trim().split('\n')).toEqual([
      '5 residents, 1 caregiver(s)',
      'CAREGIVER_RATIO',
      'preliminary', 'evaluation', 'review', 'review', 'review', 'publicity.open',
      'awaitingPlacement',
      '孙建军',
      'revisit',
      '2',
    ]);
    expect(lines.slice(1)).toEqual([
      'preliminary', 'evaluation', 'evaluation', 'review', 'township', 'county', 'publicity.open',
      'NOTICE_PERIOD_RUNNING', 'awaitingPlacement', 'active.monitoring',
      'OPEN_CASE → SUBMIT_SURVEY → START_EVALUATION → RECORD_ASSESSMENT → RECORD_ASSESSMENT → SUBMIT_EVALUATION → APPROVE → APPROVE → APPROVE → NOTICE_PERIOD_ENDED → PLACE',
      'true',
    ]);

    const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
    server.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(serverOutput).not.toMatch(/(?<!\d)\d{17}[\dXx](?!\d)/);
  }, 480_000);
});
