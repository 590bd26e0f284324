/**
 * The short code printed on every issued document (registry: issued_documents.code): 8 characters of Crockford
 * base32 (no I, L, O, U: nothing to misread on paper), 40 bits from the operating system's random source. Printed
 * grouped `ABCD-EFGH`; stored without the dash; read back case-insensitively, with Crockford's reading of the
 * look-alikes (O → 0, I and L → 1) and any dashes or spaces ignored. 2^40 codes: walking them under the public
 * rate limit is pointless.
 *
 * Pure: the random bytes are passed in (the caller takes them from node:crypto), so this module has no IO.
 */
export const DOCUMENT_CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const DOCUMENT_CODE_LENGTH = 8;
/** The stored form (also the database CHECK). */
export const DOCUMENT_CODE_PATTERN = /^[0-9A-HJKMNP-TV-Z]{8}$/;

/** 5 random bytes (40 bits) → 8 characters. */
export function documentCodeOf(bytes: Uint8Array): string {
  if (bytes.length < 5) throw new RangeError('a document code needs 5 random bytes');
  let n = 0n;
  for (let i = 0; i < 5; i++) n = (n << 8n) | BigInt(bytes[i]!);
  let out = '';
  for (let i = 0; i < DOCUMENT_CODE_LENGTH; i++) {
    out = DOCUMENT_CODE_ALPHABET[Number(n & 31n)] + out;
    n >>= 5n;
  }
  return out;
}

/** `ABCD-EFGH`, as printed. */
export function formatDocumentCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/** What a person typed (any case, with or without the dash) → the stored form, or null when it cannot be a code. */
export function normalizeDocumentCode(input: string): string | null {
  const s = input
    .toUpperCase()
    .replace(/[\s-]/g, '')
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
  return DOCUMENT_CODE_PATTERN.test(s) ? s : null;
}
