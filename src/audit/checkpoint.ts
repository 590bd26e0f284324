// Signed audit checkpoints (pure; node:crypto only).
//
// A checkpoint seals the audit head of every case — (case id, audit_seq, audit_head), the newest record's
// sequence number and hash, as the case row carries them — at one moment. It commits to them with `root`, the
// SHA-256 of the rows in ascending case id order, one line each:
//
//     <case id, lowercase uuid>\t<seq>\t<head hash, or empty when seq is 0>\n
//
// and stores their count. The header { v, id, baseId, createdAt, caseCount, root, keyId } is signed with Ed25519
// (a private key kept outside the database: AUDIT_CHECKPOINT_KEY); `keyId` is the SHA-256 of the public key's SPKI
// DER form. Whoever can write to the database can recompute a rewritten chain with auditHash, but cannot sign:
// against the last checkpoint the rewritten chain no longer ends at the sealed head.
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { canonicalJson } from './hash.js';

export const CHECKPOINT_VERSION = 1;

/** One case's audit head. */
export interface CaseHead {
  caseId: string;
  seq: number;
  head: string | null;
}

export interface CheckpointHeader {
  v: typeof CHECKPOINT_VERSION;
  id: number;
  /** The checkpoint this one's stored heads are a delta of (0 for the first); signed, so the line cannot be re-cut. */
  baseId: number;
  createdAt: string;
  caseCount: number;
  root: string;
  keyId: string;
}

export interface SignedCheckpoint extends CheckpointHeader {
  /** Ed25519 over checkpointMessage(header), base64. */
  signature: string;
}

/** The line a head contributes to the root. */
export function headLine(h: CaseHead): string {
  return `${h.caseId}\t${h.seq}\t${h.head ?? ''}\n`;
}

/**
 * The root over heads added one at a time, in strictly ascending case id order (checked): a stream of millions of
 * cases is hashed without holding them.
 */
export class HeadsHasher {
  private readonly hash = createHash('sha256');
  private last: string | null = null;
  count = 0;

  add(h: CaseHead): void {
    if (this.last !== null && !(h.caseId > this.last)) {
      throw new Error(`audit heads out of order: ${h.caseId} after ${this.last} (each case once, ascending)`);
    }
    this.last = h.caseId;
    this.hash.update(headLine(h), 'utf8');
    this.count++;
  }

  /** Hex root and count; the hasher cannot be used afterwards. */
  digest(): { root: string; count: number } {
    return { root: this.hash.digest('hex'), count: this.count };
  }
}

/** The root and count of a list of heads (tests; small lists). */
export function headsRoot(heads: Iterable<CaseHead>): { root: string; count: number } {
  const hasher = new HeadsHasher();
  for (const h of heads) hasher.add(h);
  return hasher.digest();
}

/** The bytes that are signed: the header's canonical JSON. */
export function checkpointMessage(h: CheckpointHeader): Buffer {
  const { v, id, baseId, createdAt, caseCount, root, keyId } = h;
  return Buffer.from(canonicalJson({ v, id, baseId, createdAt, caseCount, root, keyId }), 'utf8');
}

/** SHA-256 (hex) of a public key's SPKI DER encoding. */
export function keyIdOf(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
}

export function signCheckpoint(header: Omit<CheckpointHeader, 'keyId' | 'v'>, privateKey: KeyObject): SignedCheckpoint {
  const full: CheckpointHeader = { v: CHECKPOINT_VERSION, ...header, keyId: keyIdOf(privateKey) };
  return { ...full, signature: sign(null, checkpointMessage(full), privateKey).toString('base64') };
}

/** Why a signed checkpoint is not to be trusted with this public key, or null when its signature holds. */
export function checkpointSignatureProblem(cp: SignedCheckpoint, publicKey: KeyObject): string | null {
  if (cp.v !== CHECKPOINT_VERSION) return `unknown checkpoint version ${String(cp.v)}`;
  if (cp.keyId !== keyIdOf(publicKey)) return `checkpoint ${cp.id} was signed by key ${cp.keyId}, not by this public key (${keyIdOf(publicKey)})`;
  let ok = false;
  try {
    ok = verify(null, checkpointMessage(cp), publicKey, Buffer.from(cp.signature, 'base64'));
  } catch {
    ok = false;
  }
  return ok ? null : `the signature of checkpoint ${cp.id} does not verify with this public key (the checkpoint was altered)`;
}

/** A PEM text as given, or the contents of the file it names. */
function pemOf(value: string): string {
  return value.trimStart().startsWith('-----BEGIN') ? value : readFileSync(value, 'utf8');
}

/** AUDIT_CHECKPOINT_KEY: an Ed25519 private key, PEM (PKCS#8) inline or in a file. */
export function loadCheckpointPrivateKey(value: string): KeyObject {
  const key = createPrivateKey(pemOf(value));
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`AUDIT_CHECKPOINT_KEY: expected an Ed25519 private key, got ${key.asymmetricKeyType}`);
  return key;
}

/** An Ed25519 public key, PEM (SPKI) inline or in a file; a private key is accepted and its public half used. */
export function loadCheckpointPublicKey(value: string): KeyObject {
  const key = createPublicKey(pemOf(value));
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`expected an Ed25519 public key, got ${key.asymmetricKeyType}`);
  return key;
}

/** The public key to hand to auditors, PEM. */
export function publicKeyPem(key: KeyObject): string {
  return (key.type === 'private' ? createPublicKey(key) : key).export({ type: 'spki', format: 'pem' }).toString();
}
