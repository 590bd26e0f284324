/**
 * Passwords: scrypt from node:crypto (memory-hard, no native dependency), and the minimum policy.
 *
 * Parameters: N = 2^15, r = 8, p = 1 → 32 MiB of memory and about 50–100 ms of one core per hash on the
 * machines we run on; a 16-byte random salt; a 32-byte key. Stored as
 * `scrypt$<log2 N>$<r>$<p>$<salt base64url>$<key base64url>` so the parameters can be raised later and old
 * hashes still verify (a hash weaker than today's is re-hashed at the next successful sign-in).
 */
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export const SCRYPT = { log2N: 15, r: 8, p: 1, keyLength: 32, saltLength: 16 } as const;

function scrypt(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCallback(password.normalize('NFC'), salt, keyLength, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

const optionsFor = (log2N: number, r: number, p: number): ScryptOptions => ({
  N: 2 ** log2N,
  r,
  p,
  // Node refuses work above 32 MiB by default; 128·N·r bytes is what these parameters need, plus headroom.
  maxmem: 256 * 2 ** log2N * r,
});

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SCRYPT.saltLength);
  const key = await scrypt(password, salt, SCRYPT.keyLength, optionsFor(SCRYPT.log2N, SCRYPT.r, SCRYPT.p));
  return ['scrypt', SCRYPT.log2N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** A hash of nothing anyone knows: verified against when the username does not exist, so both take as long. */
let decoy: Promise<string> | undefined;
export const decoyHash = () => (decoy ??= hashPassword(randomBytes(24).toString('base64url')));

export interface PasswordCheck {
  ok: boolean;
  /** The stored hash uses weaker parameters than today's: store a fresh one. */
  needsRehash: boolean;
}

export async function verifyPassword(password: string, stored: string | null | undefined): Promise<PasswordCheck> {
  const parts = (stored ?? (await decoyHash())).split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return { ok: false, needsRehash: false };
  const [log2N, r, p] = parts.slice(1, 4).map(Number);
  if (![log2N, r, p].every(Number.isSafeInteger) || log2N > 20 || r > 32 || p > 16) return { ok: false, needsRehash: false };
  const salt = Buffer.from(parts[4], 'base64url');
  const expected = Buffer.from(parts[5], 'base64url');
  const key = await scrypt(password, salt, expected.length, optionsFor(log2N, r, p));
  const ok = stored != null && key.length === expected.length && timingSafeEqual(key, expected);
  return { ok, needsRehash: ok && (log2N < SCRYPT.log2N || r < SCRYPT.r) };
}

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 128;

/**
 * The minimum policy: 10–128 characters,
 * letters and digits both present, not the username, not one character repeated. Returns the problems, none when
 * it is acceptable.
 */
export function passwordProblems(password: string, username: string): string[] {
  const problems: string[] = [];
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) problems.push(`at least ${PASSWORD_MIN_LENGTH} characters`);
  if (length > PASSWORD_MAX_LENGTH) problems.push(`at most ${PASSWORD_MAX_LENGTH} characters`);
  if (!/\p{L}/u.test(password) || !/\p{Nd}/u.test(password)) problems.push('both letters and digits');
  if (password.toLowerCase().includes(username.toLowerCase())) problems.push('must not contain the username');
  if (new Set(password).size < 4) problems.push('at least 4 different characters');
  return problems;
}

/** A random password for a new or reset account (the person must replace it), or a service account's secret. */
export function generatePassword(bytes = 12): string {
  // base64url has letters and digits in practice; append a digit and a letter so the policy always holds.
  return `${randomBytes(bytes).toString('base64url')}7k`;
}
