// Fonts: the package's Noto Sans SC is always there; Debian's Noto Sans CJK is preferred when installed. Every
// character of a document is checked before anything prints: rare name characters either print (the font has the
// glyph: pdftotext reads it back) or refuse the document naming the character, the field and the person — and a
// refused document leaves nothing behind (no registry row, no audit record). On both databases.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '../../src/db/index.js';
import { assertPrintable, defaultFontChain, fontChain, PACKAGE_FONT, SYSTEM_FONTS } from '../../src/documents/fonts.js';
import { createDocuments } from '../../src/engine/documents.js';
import { isAppError } from '../../src/errors.js';
import { rows } from '../../src/db/types.js';
import { sql } from 'drizzle-orm';
import { testDbKind } from '../helpers/db.js';
import { pdfText } from '../helpers/pdfText.js';
import { idNumber, startService, V, type TestService } from '../helpers/service.js';

const YAN = '䶮'; // U+4DAE, CJK Extension A
const RARE = '𠀾'; // U+2003E, CJK Extension B
const systemFont = SYSTEM_FONTS[0]!;
const hasSystemFont = existsSync(systemFont.path);

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => {
  await svc?.close();
});

/** A rejected case of one person with this name (a refusal notice prints the name). */
async function rejectedCase(name: string) {
  const birthDate = '1956-04-04';
  const r = await svc.as('enumerator', 'POST', '/households', { villageCode: V.sunjiagou, address: '1组', legalSupporter: null, members: [{ name, idNumber: idNumber(birthDate), birthDate, sex: 'male', relation: '户主', labourCapacity: 'none' }] });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  const caseId = r.body.caseId as string;
  const send = (who: 'enumerator' | 'evaluator' | 'village', body: object) => svc.as(who, 'POST', `/cases/${caseId}/events`, body);
  await send('enumerator', { type: 'SUBMIT_SURVEY' });
  const c = await send('evaluator', { type: 'START_EVALUATION' });
  await send('evaluator', { type: 'RECORD_ASSESSMENT', assessment: { memberId: c.body.household.members[0].id, categories: ['elderly'], labourCapacity: 'none', evidence: ['x'] } });
  await send('evaluator', { type: 'SUBMIT_EVALUATION', conclusion: '符合' });
  expect((await send('village', { type: 'REJECT', reason: '不符合条件' })).body.state).toMatch(/^rejected/);
  return caseId;
}

const meta = () => ({ principal: svc.principal('officer'), requestId: 'test' });
const documentsWith = (sources: Parameters<typeof fontChain>[0]) => createDocuments(svc.engine.deps, { publicBaseUrl: 'https://doudi.example.cn', fonts: fontChain(sources) });

async function registryCount(): Promise<number> {
  return Number(rows<{ n: number | string }>(await svc.database.db.execute(sql`select count(*) as n from issued_documents`))[0]!.n);
}

function pdffonts(pdf: Buffer): string {
  const dir = mkdtempSync(join(tmpdir(), 'doudi-pdf-'));
  try {
    writeFileSync(join(dir, 'a.pdf'), pdf);
    return execFileSync('pdffonts', [join(dir, 'a.pdf')], { encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe(`fonts and the glyph check (${testDbKind()})`, { timeout: 120_000 }, () => {
  it('the package’s font draws 䶮 but not 𠀾 (checked with fontkit, the library pdfkit embeds with)', () => {
    const chain = fontChain([PACKAGE_FONT]);
    expect(chain.fontFor(`李${YAN}`)?.name).toBe('NotoSansSC');
    expect(chain.fontFor(`王${RARE}`)).toBeNull();
    expect(chain.fontFor('王秀兰 411282**********34 2026年3月2日')).not.toBeNull();
  });

  it('with the package’s font only: 䶮 prints, embedded as a subset; 𠀾 refuses the document naming the character, field and person, and nothing is registered', async () => {
    const docs = documentsWith([PACKAGE_FONT]);
    const ok = await docs.issueCaseDocument(meta(), await rejectedCase(`李${YAN}`), 'refusal_notice');
    expect(pdfText(ok.pdf)).toContain(`李${YAN}`);
    const fonts = pdffonts(ok.pdf);
    expect(fonts).toMatch(/[A-Z]{6}\+NotoSansSC-Regular/); // subset tag: only the glyphs used
    expect(ok.pdf.length).toBeLessThan(400_000);

    const caseId = await rejectedCase(`王${RARE}明`);
    const before = { registry: await registryCount(), audit: (await listAudit(svc.database.db, caseId)).length };
    const refused = await docs.issueCaseDocument(meta(), caseId, 'refusal_notice').then(() => null, (e: unknown) => e);
    expect(isAppError(refused)).toBe(true);
    expect(refused).toMatchObject({
      code: 'DOCUMENT_CHARACTER_UNPRINTABLE',
      statusCode: 422,
      details: { character: RARE, codePoint: 'U+2003E', field: '申请人姓名', person: `王${RARE}明`, fonts: ['NotoSansSC-Regular'] },
    });
    expect((refused as { messageZh: string }).messageZh).toContain(`“王${RARE}明”的申请人姓名中的字符“${RARE}”（U+2003E）无法用现有字体打印`);
    expect(await registryCount()).toBe(before.registry);
    expect((await listAudit(svc.database.db, caseId)).length).toBe(before.audit);
  });

  it('over HTTP the refusal is 422 with the zh-CN message', async () => {
    if (hasSystemFont) {
      // This machine's default chain has Noto Sans CJK, which draws 𠀾: use a character no font has (U+E000, private use).
      const caseId = await rejectedCase('王\u{E000}');
      const res = await svc.app.inject({ method: 'POST', url: `/cases/${caseId}/documents/refusal-notice`, headers: { authorization: `Bearer ${svc.token('officer')}`, 'accept-language': 'zh-CN' } });
      expect(res.statusCode).toBe(422);
      expect(JSON.parse(res.body)).toMatchObject({ code: 'DOCUMENT_CHARACTER_UNPRINTABLE', details: { codePoint: 'U+E000', field: '申请人姓名' } });
    } else {
      const caseId = await rejectedCase(`王${RARE}`);
      const res = await svc.app.inject({ method: 'POST', url: `/cases/${caseId}/documents/refusal-notice`, headers: { authorization: `Bearer ${svc.token('officer')}`, 'accept-language': 'zh-CN' } });
      expect(res.statusCode).toBe(422);
      expect(JSON.parse(res.body)).toMatchObject({ code: 'DOCUMENT_CHARACTER_UNPRINTABLE', details: { codePoint: 'U+2003E' } });
    }
  });

  it.runIf(hasSystemFont)('with Debian’s Noto Sans CJK installed it comes first, and prints both 䶮 and 𠀾 (a .ttc face, subset)', async () => {
    const chain = defaultFontChain();
    expect(chain.fonts.map((f) => f.origin)).toEqual(['system', 'package']);
    expect(chain.fontFor(`王${RARE}`)?.name).toBe('NotoSansCJKsc');
    const docs = documentsWith([systemFont, PACKAGE_FONT]);
    for (const name of [`李${YAN}`, `王${RARE}明`]) {
      const r = await docs.issueCaseDocument(meta(), await rejectedCase(name), 'refusal_notice');
      expect(pdfText(r.pdf)).toContain(name);
      expect(pdffonts(r.pdf)).toMatch(/[A-Z]{6}\+NotoSansCJKsc-Regular/);
    }
  });

  it('falls back text by text: a text the first font cannot draw is set in the next one that can', async () => {
    // Reversed order: the package's font first, the system font (when installed) second.
    const sources = hasSystemFont ? [PACKAGE_FONT, systemFont] : [PACKAGE_FONT];
    const chain = fontChain(sources);
    expect(chain.fontFor('孙某')?.name).toBe('NotoSansSC');
    if (hasSystemFont) {
      expect(chain.fontFor(`王${RARE}`)?.name).toBe('NotoSansCJKsc');
      const r = await documentsWith(sources).issueCaseDocument(meta(), await rejectedCase(`王${RARE}`), 'refusal_notice');
      const fonts = pdffonts(r.pdf);
      expect(fonts).toMatch(/NotoSansSC-Regular/);
      expect(fonts).toMatch(/NotoSansCJKsc-Regular/);
      expect(pdfText(r.pdf)).toContain(`王${RARE}`);
    } else {
      expect(() => assertPrintable(chain, [{ text: `王${RARE}`, field: '姓名', person: `王${RARE}` }])).toThrow(/U\+2003E/);
    }
  });
});
