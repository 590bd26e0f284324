/**
 * The `.env` file: read by every entry point (the service, the worker, the commands) before the configuration is
 * validated. Node's own parser (`util.parseEnv`, the one behind `node --env-file`, Node 20.12+) rather than a
 * library: the format is the same as `--env-file`'s, and nothing is added to the dependencies.
 *
 * The file is optional: `.env` in the working directory (the repository root under `npm start`), or the file named
 * by DOUDI_ENV_FILE — which then must exist (a typo in a systemd unit should fail, not start on defaults).
 * Variables already in the environment win over the file, as with `node --env-file`, so a systemd unit or a shell
 * can override one key without editing the file. process.env itself is never changed: the merged copy is returned.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';

export const DEFAULT_ENV_FILE = '.env';

export class EnvFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvFileError';
  }
}

/** The environment with the .env file's keys added under it; `file` says which file was read (undefined: none). */
export function withEnvFile(
  env: Record<string, string | undefined>,
  cwd: string = process.cwd(),
): { env: Record<string, string | undefined>; file: string | undefined } {
  const named = env.DOUDI_ENV_FILE?.trim();
  const path = resolve(cwd, named || DEFAULT_ENV_FILE);
  if (!existsSync(path)) {
    if (named) throw new EnvFileError(`DOUDI_ENV_FILE names ${path}, which does not exist`);
    return { env, file: undefined };
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new EnvFileError(`cannot read ${path}: ${(err as Error).message}`);
  }
  const fromFile = parseEnv(text) as Record<string, string>;
  const merged: Record<string, string | undefined> = { ...fromFile };
  for (const [k, v] of Object.entries(env)) if (v !== undefined) merged[k] = v;
  return { env: merged, file: path };
}

/** For the entry points: the environment with the .env file, or the problem on stderr and exit 2 (like a bad key). */
export function environmentOrExit(env: Record<string, string | undefined>): Record<string, string | undefined> {
  try {
    return withEnvFile(env).env;
  } catch (e) {
    if (e instanceof EnvFileError) {
      console.error(`Invalid configuration: ${e.message}`);
      process.exit(2);
    }
    throw e;
  }
}
