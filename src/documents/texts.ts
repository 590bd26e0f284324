/**
 * Document texts (文书设置): who issues the documents, where objections go, the legal texts — configuration per
 * region, never code. Stored as the setting `documents` in the scoped settings table (scope `global`, a province,
 * a city or a county, as the deadline policy: README "Settings and their scope"), each scope holding only the fields
 * it sets. The texts in effect for a village are resolved along its code, field by field, from the defaults up to
 * the county (the most specific scope that sets a field wins); township offices are a map inside the county's (or a
 * wider) value, keyed by the 9-digit township code, since the settings' scopes stop at the county.
 *
 * Texts may name places with {county}, {township}, {village}: filled from the region names when printed. Pure.
 */
import { z } from 'zod';

export const DOCUMENTS_SETTING = 'documents';

const text = (max: number, what: string) => z.string({ error: `${what} must be text` }).trim().min(1, `${what} must not be blank`).max(max, `${what} is at most ${max} characters`);

export const officeSchema = z.strictObject({
  office: text(100, 'office'),
  address: text(200, 'address'),
  telephone: text(40, 'telephone'),
});
export type Office = z.infer<typeof officeSchema>;

/** What one scope sets (every field optional: the rest comes from wider scopes and the defaults). */
export const documentTextsOverrideSchema = z.strictObject({
  /** 出具机关: the county civil-affairs bureau, e.g. 灵宝市民政局. */
  issuer: text(100, 'issuer').optional(),
  /** Where objections go when the township has no entry of its own. */
  objectionOffice: officeSchema.optional(),
  /** Township offices (乡镇人民政府民政办) by 9-digit township code. */
  townships: z.record(z.string().regex(/^\d{9}$/, 'expected a 9-digit township code'), officeSchema).optional(),
  /** 行政复议: the body and the time limit in days. */
  reviewBody: text(100, 'reviewBody').optional(),
  reviewDays: z.number().int('reviewDays is a whole number of days').min(1).max(365).optional(),
  /** 行政诉讼: the court and the time limit in months. */
  court: text(100, 'court').optional(),
  litigationMonths: z.number().int('litigationMonths is a whole number of months').min(1).max(60).optional(),
  /** The refusal notice's paragraph of rights; {reviewBody} {reviewDays} {court} {litigationMonths} are filled in. */
  rightsText: text(2000, 'rightsText').optional(),
  /** The guardian's duties in the three-party agreement, one per item. */
  careDuties: z.array(text(500, 'careDuties item')).min(1).max(20).optional(),
  /** The village committee's duties in the agreement. */
  committeeDuties: z.array(text(500, 'committeeDuties item')).min(1).max(20).optional(),
  /** The exit notice's closing paragraph. */
  exitNoticeText: text(2000, 'exitNoticeText').optional(),
});
export type DocumentTextsOverride = z.infer<typeof documentTextsOverrideSchema>;

export interface DocumentTexts {
  issuer: string;
  objectionOffice: Office;
  townships: Record<string, Office>;
  reviewBody: string;
  reviewDays: number;
  court: string;
  litigationMonths: number;
  rightsText: string;
  careDuties: string[];
  committeeDuties: string[];
  exitNoticeText: string;
}

/** The defaults: the usual bodies of a county (named from the region), the statutory limits (60 days, 6 months). */
export const defaultDocumentTexts: DocumentTexts = {
  issuer: '{county}民政局',
  objectionOffice: { office: '{township}人民政府民政办', address: '{township}人民政府', telephone: '请向{township}人民政府民政办询问' },
  townships: {},
  reviewBody: '{county}人民政府',
  reviewDays: 60,
  court: '{county}人民法院',
  litigationMonths: 6,
  rightsText:
    '如对本决定不服，可自收到本通知书之日起{reviewDays}日内向{reviewBody}申请行政复议，或者自收到本通知书之日起{litigationMonths}个月内向{court}提起行政诉讼。',
  careDuties: [
    '每日照看受托人的饮食起居，保证其吃穿不愁、居住安全；',
    '定期陪同就医，按时提醒服药，发现病情变化及时送医并告知村民委员会；',
    '保持受托人居室及个人卫生，季节变化时及时添置衣被；',
    '不得侵占、挪用受托人的保障资金和财物；',
    '配合村民委员会和乡镇人民政府的回访，如实反映受托人情况。',
  ],
  committeeDuties: ['按月回访，监督监护人履行职责；', '协调解决受托人生活、就医中的困难；', '按规定发放托养补助，公开接受监督。'],
  exitNoticeText: '如对上述退出决定有异议，请于公告期内向{township}人民政府民政办反映。',
};

/** The texts in effect, from the defaults and the overrides of the scopes along the village code, widest first. */
export function resolveDocumentTexts(overrides: readonly DocumentTextsOverride[]): DocumentTexts {
  const out: DocumentTexts = structuredClone(defaultDocumentTexts);
  for (const o of overrides) {
    const { townships, ...rest } = o;
    Object.assign(out, Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)));
    if (townships) out.townships = { ...out.townships, ...townships };
  }
  return out;
}

export interface PlaceNames {
  county: string;
  township: string;
  village: string;
}

/** {county}, {township}, {village} and the named numbers filled in. */
export function fill(template: string, names: PlaceNames, extra: Record<string, string | number> = {}): string {
  const values: Record<string, string | number> = { ...names, ...extra };
  return template.replace(/\{(\w+)\}/g, (m, k: string) => (Object.hasOwn(values, k) ? String(values[k]) : m));
}

/** Where objections to a village's notice go: its township's office, else the default office. */
export function objectionOfficeFor(texts: DocumentTexts, villageCode: string, names: PlaceNames): Office {
  const o = texts.townships[villageCode.slice(0, 9)] ?? texts.objectionOffice;
  return { office: fill(o.office, names), address: fill(o.address, names), telephone: fill(o.telephone, names) };
}
