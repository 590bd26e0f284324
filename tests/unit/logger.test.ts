import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, maskIdNumbers, maskLogLine, safeErrorMessage } from '../../src/logger.js';

// A valid GB 11643 number (check character included) for a person born 1950-01-01 in 411282 灵宝市.
const ID = '41128219500101123X';
const MASKED = '411282**********3X';
const ID2 = '411282195001011234';
const MASKED2 = '411282**********34';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const logger = createLogger({ logLevel: 'trace' }, stream);
  return { logger, output: () => lines.join('') };
}

describe('createLogger', () => {
  it('never writes a resident ID number, wherever it is in the log object', () => {
    const { logger, output } = capture();
    logger.info(
      {
        household: { members: [{ name: '张三', idNumber: ID, note: `证件 ${ID2} 已核验` }] },
        [ID2]: 'as a key',
        asNumber: 411282195001011234,
      },
      'surveyed %s',
      ID,
    );
    logger.child({ resident: ID }).warn('child bindings too');
    logger.error(new Error(`lookup failed for ${ID2}`));

    const text = output();
    expect(text).not.toContain(ID);
    expect(text).not.toContain(ID2);
    expect(text).not.toMatch(/\d{17}[\dXx]/);
    expect(text).toContain(MASKED);
    expect(text).toContain(MASKED2);
    // Every line is still valid JSON, and the structure survives masking.
    const lines = text.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0].household.members[0].idNumber).toBe(MASKED);
    expect(lines[0].household.members[0].note).toBe(`证件 ${MASKED2} 已核验`);
    expect(lines[0].msg).toBe(`surveyed ${MASKED}`);
    expect(lines[0][MASKED2]).toBe('as a key');
    expect(lines[0].asNumber).toMatch(/^411282\*{10}\d{2}$/);
    expect(lines[1].resident).toBe(MASKED);
    expect(lines[2].err.message).toBe(`lookup failed for ${MASKED2}`);
  });

  it('redacts authorization headers', () => {
    const { logger, output } = capture();
    logger.info({ req: { headers: { authorization: 'Bearer abc.def.ghi', host: 'x' } } });
    logger.info({ headers: { authorization: 'Bearer abc.def.ghi' } });
    expect(output()).not.toContain('abc.def.ghi');
    expect(output()).toContain('[redacted]');
  });

  it('respects the configured level', () => {
    const lines: string[] = [];
    const logger = createLogger({ logLevel: 'warn' }, { write: (s: string) => void lines.push(s) });
    logger.info('quiet');
    logger.warn('loud');
    expect(lines).toHaveLength(1);
  });
});

describe('masking', () => {
  it('masks IDs glued to text but leaves longer digit runs and short numbers alone', () => {
    expect(maskIdNumbers(`id${ID2}`)).toBe(`id${MASKED2}`);
    expect(maskIdNumbers(`idNumber=${ID.toLowerCase()}&x=1`)).toBe(`idNumber=${MASKED.toLowerCase()}&x=1`);
    expect(maskIdNumbers('4112821950010112345')).toBe('4112821950010112345');
    expect(maskIdNumbers('order 1234567890')).toBe('order 1234567890');
  });

  it('passes lines without an ID number through untouched and falls back to text for non-JSON', () => {
    const line = '{"level":30,"msg":"hello"}\n';
    expect(maskLogLine(line)).toBe(line);
    expect(maskLogLine(`plain ${ID2}\n`)).toBe(`plain ${MASKED2}\n`);
  });
});

describe('errors in the log carry no statement data', () => {
  it('drops query, parameters and detail, and cuts drizzle’s message before its params', () => {
    const { logger, output } = capture();
    const driver = Object.assign(new Error('invalid input syntax for type date: "1951-02-30"'), {
      code: '22007', severity: 'ERROR', table_name: 'members',
      query: 'insert into members (name, birth_date) values ($1, $2)',
      parameters: ['王秀英', '1951-02-30'], params: ['王秀英'], detail: 'Failing row contains (王秀英, 慢性肾炎).',
    });
    const wrapped = Object.assign(new Error('Failed query: insert into members (name) values ($1)\nparams: 王秀英,慢性肾炎'), {
      query: 'insert into members (name) values ($1)', params: ['王秀英', '慢性肾炎'], cause: driver,
    });
    logger.error({ err: wrapped }, 'request failed');
    logger.warn({ cause: driver }, 'refused');
    const text = output();
    for (const secret of ['王秀英', '慢性肾炎', '1951-02-30', 'values ($1']) expect(text).not.toContain(secret);
    const line = JSON.parse(text.split('\n')[0]);
    expect(line.err).toMatchObject({ message: 'Failed query', cause: { code: '22007', table_name: 'members' } });
    expect(line.err.cause.message).toBe('invalid input syntax for type date: "[redacted]"');
    expect(line.err.stack).toMatch(/^Error: Failed query\n\s+at /);
  });

  it('keeps the names of database objects', () => {
    expect(safeErrorMessage('new row for relation "members" violates check constraint "members_sex_check"')).toBe(
      'new row for relation "members" violates check constraint "members_sex_check"',
    );
  });
});
