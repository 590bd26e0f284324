// A database that is away answers 503 NOT_READY (retry later), not 500, however deep the driver's error sits.
import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailable, toAppError } from '../../src/http/errorHandler.js';

describe('database unavailable', () => {
  it('is recognised through drizzle’s wrapping, by network code, driver code or SQLSTATE class 08/57P0x', () => {
    const wrapped = (cause: object) => Object.assign(new Error('Failed query: select 1'), { cause });
    expect(isDatabaseUnavailable(wrapped({ code: 'ECONNREFUSED' }))).toBe(true);
    expect(isDatabaseUnavailable(wrapped({ code: 'CONNECTION_CLOSED' }))).toBe(true);
    expect(isDatabaseUnavailable(wrapped(Object.assign(new Error('x'), { code: '08006' })))).toBe(true);
    expect(isDatabaseUnavailable(wrapped({ code: '57P01' }))).toBe(true);
    expect(isDatabaseUnavailable(wrapped({ code: '23505' }))).toBe(false);
    expect(isDatabaseUnavailable(new Error('plain'))).toBe(false);
  });

  it('maps to NOT_READY with the catalogue’s message (no driver text)', () => {
    const e = toAppError(Object.assign(new Error('Failed query: insert into cases ...'), { cause: { code: 'ECONNRESET' } }));
    expect(e).toMatchObject({ code: 'NOT_READY', statusCode: 503, message: 'The service is not ready' });
  });
});
