import { describe, expect, it } from 'vitest';
import { auditHash, canonicalJson, verifyChain, type HashedAuditRecord } from '../../src/audit/hash.js';

describe('canonicalJson', () => {
  it('sorts keys at every depth and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });

  it('writes Dates as ISO strings and drops undefined properties', () => {
    expect(canonicalJson({ at: new Date('2026-03-02T01:00:00.123Z'), gone: undefined, kept: null })).toBe(
      '{"at":"2026-03-02T01:00:00.123Z","kept":null}',
    );
  });

  it('agrees with a JSON round trip (what jsonb gives back)', () => {
    const value = { b: [1, undefined, 'é 中文'], a: new Date(0), n: Number.NaN, nested: { y: true, x: -0 } };
    expect(canonicalJson(JSON.parse(JSON.stringify(value)))).toBe(canonicalJson(value));
  });

  it('refuses bigint', () => {
    expect(() => canonicalJson({ n: 1n })).toThrow(TypeError);
  });
});

describe('auditHash and verifyChain', () => {
  const caseId = '3f0e4a52-8a4b-4f8e-9d51-2b7c1c6f0a11';
  function chain(n: number): HashedAuditRecord[] {
    const records: HashedAuditRecord[] = [];
    for (let seq = 1; seq <= n; seq++) {
      const content = {
        caseId,
        seq,
        eventType: seq === 1 ? 'CREATE' : 'APPROVE',
        payload: { note: `step ${seq}`, level: 'village' },
        actorId: 'u1',
        actorRole: 'reviewer',
        stateBefore: seq === 1 ? null : 'review',
        stateAfter: 'review',
        machineVersion: 1,
        requestId: null,
        at: new Date(Date.UTC(2026, 2, seq, 1, 2, 3, 456)),
        prevHash: seq === 1 ? null : records[seq - 2].hash,
      };
      records.push({ ...content, hash: auditHash(content) });
    }
    return records;
  }

  it('is a 64-character hex SHA-256 that ignores key order and Date vs ISO string', () => {
    const [record] = chain(1);
    expect(record.hash).toMatch(/^[0-9a-f]{64}$/);
    const reordered = { ...record, payload: { level: 'village', note: 'step 1' }, at: (record.at as Date).toISOString() };
    expect(auditHash(reordered)).toBe(record.hash);
  });

  it('covers the client\'s request id when there is one; records without one hash as they always did', () => {
    const [record] = chain(1);
    expect(auditHash({ ...record, clientRequestId: null })).toBe(record.hash);
    expect(auditHash({ ...record, clientRequestId: undefined })).toBe(record.hash);
    expect(auditHash({ ...record, clientRequestId: 'gw-1' })).not.toBe(record.hash);
  });

  it('verifies an intact chain, and an empty one', () => {
    expect(verifyChain(chain(4))).toEqual({ ok: true, count: 4 });
    expect(verifyChain([])).toEqual({ ok: true, count: 0 });
  });

  it('detects an altered payload', () => {
    const records = chain(4);
    records[2] = { ...records[2], payload: { note: 'forged', level: 'village' } };
    expect(verifyChain(records)).toMatchObject({ ok: false, count: 4, brokenAtSeq: 3, reason: expect.stringMatching(/altered/) });
  });

  it('detects a removed record and a broken link', () => {
    const records = chain(4);
    expect(verifyChain([records[0], records[2], records[3]])).toMatchObject({ ok: false, brokenAtSeq: 2 });
    // Re-hashing a forged record does not help: its successor still names the old hash.
    const forged = { ...records[1], actorId: 'intruder' };
    records[1] = { ...forged, hash: auditHash(forged) };
    expect(verifyChain(records)).toMatchObject({ ok: false, brokenAtSeq: 3, reason: expect.stringMatching(/prevHash/) });
  });

  it('detects a first record that claims a predecessor', () => {
    const [first] = chain(1);
    const content = { ...first, prevHash: 'a'.repeat(64) };
    expect(verifyChain([{ ...content, hash: auditHash(content) }])).toMatchObject({ ok: false, brokenAtSeq: 1 });
  });
});
