/**
 * The public pages in a test: cases walked to the public notice over the API, a 公示名单 registered for them
 * in the document registry (through src/db/documents.ts, as the issuer does), and a villager's browser — the
 * notice page, the objection form (its cookie and token, read from the page as a browser carries them), the post.
 */
import { createHash, randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { insertDocument, type PublicityPublicView } from '../../src/db/index.js';
import { documentCodeOf } from '../../src/domain/documentCode.js';
import { maskResidentId } from '../../src/domain/residentId.js';
import { decode } from './console.js';
import { V, type TestService } from './service.js';
import { walker } from './walk.js';

/** A case walked through the whole review chain: now in its 7-day public notice. */
export async function caseInPublicity(svc: TestService, villageCode: string = V.sunjiagou): Promise<{ caseId: string; caseNumber: string }> {
  const w = walker(svc);
  const { caseId } = await w.walkToReview('village', villageCode);
  let r;
  for (const who of ['village', 'township', 'county'] as const) r = await w.send(who, caseId, { type: 'APPROVE', comment: '同意' });
  expect(r!.body.state, JSON.stringify(r!.body)).toBe('publicity.open');
  return { caseId, caseNumber: r!.body.caseNumber as string };
}

/** Registers a 公示名单 for the cases (what the paper shows: head of household, masked ID), as of now. */
export async function registerPublicityList(svc: TestService, caseIds: string[], villageCode: string = V.sunjiagou) {
  const officer = svc.principal('officer');
  const rows: PublicityPublicView['rows'] = [];
  for (const id of caseIds) {
    const c = await svc.engine.getCase(officer, id);
    const head = c.household.members[0]!;
    rows.push({ caseNumber: c.caseNumber, name: head.name, maskedId: maskResidentId(head.idNumber!), sex: head.sex, categories: ['elderly'], mode: 'centralized_support' });
  }
  const now = svc.clock.now();
  const day = (d: Date) => new Date(d.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
  const pdf = randomBytes(64);
  const doc = await insertDocument(svc.database.db, {
    code: documentCodeOf(randomBytes(5)),
    kind: 'publicity_list',
    villageCode,
    caseIds,
    sha256: createHash('sha256').update(pdf).digest('hex'),
    issuedBy: svc.users.officer.id,
    issuedAt: now,
    publicView: {
      villageName: '孙家沟村', townshipName: '苏村乡', countyName: '灵宝市', rows,
      periodStart: day(now), periodEnd: day(new Date(now.getTime() + 6 * 86_400_000)),
      objectTo: { office: '苏村乡人民政府', address: '灵宝市苏村乡政府街1号', telephone: '0398-8888888' },
    },
  });
  return { doc, pdf };
}

export interface PublicResponse {
  status: number;
  html: string;
  headers: Record<string, unknown>;
}

/** A villager's browser: no credential, a cookie jar of one cookie, an address of its own. */
export function villager(svc: TestService, ip = '203.0.113.7') {
  let cookie = '';
  async function request(method: 'GET' | 'POST' | 'PUT', url: string, form?: Record<string, string>, headers: Record<string, string> = {}): Promise<PublicResponse> {
    const res = await svc.app.inject({
      method, url, remoteAddress: ip,
      ...(form ? { payload: new URLSearchParams(form).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}), ...headers } } : { headers: { ...(cookie ? { cookie } : {}), ...headers } }),
    });
    const set = res.cookies.find((c) => c.name === 'doudi_public');
    if (set) cookie = `doudi_public=${set.value}`;
    return { status: res.statusCode, html: res.body, headers: res.headers };
  }
  /** The form for a household, and its hidden fields as the page carries them. */
  async function openForm(code: string, caseNumber: string) {
    const page = await request('GET', `/public/documents/${code}/objection?case=${caseNumber}`);
    const token = /name="token" value="([^"]+)"/.exec(page.html)?.[1];
    return { page, token: token ? decode(token) : '' };
  }
  async function object(code: string, caseNumber: string, fields: { name?: string; contact?: string; text?: string } = {}, headers: Record<string, string> = {}) {
    const { page, token } = await openForm(code, caseNumber);
    expect(page.status, page.html).toBe(200);
    return request('POST', `/public/documents/${code}/objection`, { caseNumber, token, name: '张村民', contact: '13800001234', text: '该户儿子在城里有稳定工作，家庭有赡养能力。', ...fields }, headers);
  }
  return {
    request, openForm, object,
    get cookie() { return cookie; }, set cookie(v: string) { cookie = v; },
    /** The same browser from another address (a phone moving between networks; or a test avoiding the hourly limit). */
    set ip(v: string) { ip = v; },
  };
}

export const receiptOn = (html: string) => /data-receipt="([^"]+)"/.exec(html)?.[1] ?? null;
export const errorCodeOn = (html: string) => /data-code="([A-Z_]+)"/.exec(html)?.[1] ?? null;
