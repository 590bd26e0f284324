// The document registry (issued_documents): codes and hashes are found as a person or a copy gives them; the table
// is append-only; the database refuses malformed rows.
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findDocumentByCode, findDocumentBySha256, insertDocument } from '../../src/db/documents.js';
import { documentCodeOf, formatDocumentCode, normalizeDocumentCode } from '../../src/domain/documentCode.js';
import { createTestDb, testDbKind, type TestDb } from '../helpers/db.js';

describe(`document registry (${testDbKind()})`, () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb();
  });
  afterAll(async () => {
    await t?.close();
  });

  const base = () => ({
    kind: 'refusal_notice' as const,
    villageCode: '411282100201',
    caseIds: [randomUUID()],
    sha256: 'ab'.repeat(32),
    issuedBy: randomUUID(),
    issuedAt: new Date('2026-03-02T02:00:00Z'),
    publicView: null,
  });

  it('codes are 8 Crockford characters, printed grouped, read back in any case with look-alikes', () => {
    expect(documentCodeOf(new Uint8Array([0, 0, 0, 0, 0]))).toBe('00000000');
    expect(documentCodeOf(new Uint8Array([255, 255, 255, 255, 255]))).toBe('ZZZZZZZZ');
    const code = documentCodeOf(new Uint8Array([0x12, 0x34, 0x56, 0x78, 0x9a]));
    expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{8}$/);
    expect(formatDocumentCode(code)).toBe(`${code.slice(0, 4)}-${code.slice(4)}`);
    expect(normalizeDocumentCode(formatDocumentCode(code).toLowerCase())).toBe(code);
    expect(normalizeDocumentCode('abcd-efgo')).toBe('ABCDEFG0');
    expect(normalizeDocumentCode('ABCD-EFGU')).toBeNull();
    expect(normalizeDocumentCode('<script>')).toBeNull();
  });

  it('finds a document by its code (any case, with the dash) and by the hash of a copy', async () => {
    const row = await insertDocument(t.db, { ...base(), code: 'K7M2Q9XD', sha256: 'cd'.repeat(32) });
    expect((await findDocumentByCode(t.db, 'k7m2-q9xd'))?.id).toBe(row.id);
    expect((await findDocumentBySha256(t.db, 'CD'.repeat(32)))?.id).toBe(row.id);
    expect(await findDocumentByCode(t.db, 'K7M2-Q9XE')).toBeNull();
    expect(await findDocumentByCode(t.db, 'not a code')).toBeNull();
    expect(await findDocumentBySha256(t.db, 'ef'.repeat(32))).toBeNull();
    expect(await findDocumentBySha256(t.db, 'zz')).toBeNull();
  });

  it('refuses a second document with the same code, a bad kind, and a public view outside a publicity list', async () => {
    await insertDocument(t.db, { ...base(), code: 'AAAA0001' });
    await expect(insertDocument(t.db, { ...base(), code: 'AAAA0001' })).rejects.toThrow();
    await expect(insertDocument(t.db, { ...base(), code: 'AAAA0002', kind: 'poster' as never })).rejects.toThrow();
    await expect(insertDocument(t.db, { ...base(), code: 'AAAA0003', publicView: { rows: [] } as never })).rejects.toThrow();
    await expect(insertDocument(t.db, { ...base(), code: 'AAAA0004', kind: 'publicity_list' })).rejects.toThrow();
    await expect(insertDocument(t.db, { ...base(), code: 'aaaa0005' })).rejects.toThrow();
  });

  it('is append-only', async () => {
    await expect(t.db.execute(sql`update issued_documents set sha256 = ${'00'.repeat(32)}`)).rejects.toMatchObject({ cause: { message: 'issued_documents is append-only: UPDATE refused' } });
    await expect(t.db.execute(sql`delete from issued_documents`)).rejects.toMatchObject({ cause: { message: 'issued_documents is append-only: DELETE refused' } });
    await expect(t.db.execute(sql`truncate issued_documents`)).rejects.toMatchObject({ cause: { message: 'issued_documents is append-only: TRUNCATE refused' } });
  });
});
