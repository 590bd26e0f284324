import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AppError, errorCatalogue, errorCatalogueMarkdown, errorCodes, errors } from '../../src/errors.js';

const readmePath = new URL('../../README.md', import.meta.url);

describe('error catalogue', () => {
  it('gives every code an error status and a message', () => {
    for (const code of errorCodes) {
      const spec = errorCatalogue[code];
      expect(spec.status, code).toBeGreaterThanOrEqual(400);
      expect(spec.status, code).toBeLessThan(600);
      expect(spec.message, code).not.toBe('');
    }
  });

  it('builds AppErrors that carry the catalogue status', () => {
    const error = errors.eventNotAllowed({ state: 'publicity', event: 'APPROVE', allowedEvents: ['FILE_OBJECTION'] });
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'EVENT_NOT_ALLOWED', statusCode: 409 });
    expect(error.message).toBe('APPROVE is not allowed now; allowed: FILE_OBJECTION');
    expect(new AppError('NOT_READY')).toMatchObject({ statusCode: 503, message: 'The service is not ready' });
    expect(errors.duplicateResident('c-1').details).toEqual({ caseId: 'c-1' });
  });

  it('renders a markdown table with one row per code', () => {
    const table = errorCatalogueMarkdown();
    for (const code of errorCodes) expect(table).toContain(`| \`${code}\` | ${errorCatalogue[code].status} |`);
  });

  // The README's table is generated from the catalogue (errorCatalogueMarkdown); this keeps them in step.
  it.skipIf(!existsSync(readmePath))('is listed in full in the README', () => {
    const readme = readFileSync(readmePath, 'utf8');
    const missing = errorCodes.filter((code) => !readme.includes(`\`${code}\``));
    expect(missing).toEqual([]);
  });
});
