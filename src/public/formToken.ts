/**
 * CSRF for the public objection form, without any login: the form carries a token tied to
 *   - this form: the notice's code, the household's case number and the receipt number drawn for it;
 *   - this browser: a random cookie (doudi_public, HttpOnly, SameSite=Strict, path /public) set when the form
 *     was shown — another site can neither read it nor make the browser send it on a cross-site post;
 *   - a time: the token is good for FORM_TTL_MS after the form was shown.
 * signed with HMAC-SHA256 under a key derived from JWT_SECRET. Nothing is stored: a forged, altered, stale or
 * cross-site submission fails the check and is answered PUBLIC_FORM_EXPIRED, nothing changed.
 *
 * The receipt drawn with the form makes a resent form (a double click, a reload of the confirmation) file
 * nothing twice: the second try finds its receipt taken and is shown the same confirmation.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const PUBLIC_COOKIE = 'doudi_public';
export const FORM_TTL_MS = 2 * 3600_000;

export interface FormClaims {
  code: string;
  caseNumber: string;
  receipt: string;
}

export function createFormTokens(secret: string) {
  const key = createHash('sha256').update(`doudi-public-form|${secret}`).digest();
  const mac = (c: FormClaims, issuedAt: number, browser: string) =>
    createHmac('sha256', key).update(['public-objection', c.code, c.caseNumber, c.receipt, String(issuedAt), browser].join('|')).digest('base64url');

  return {
    /** A new browser cookie value (128 random bits). */
    newBrowserId: () => randomBytes(16).toString('base64url'),
    mint(c: FormClaims, browser: string, now: Date): string {
      const issuedAt = now.getTime();
      return `${c.receipt}.${issuedAt}.${mac(c, issuedAt, browser)}`;
    },
    /** The receipt the token was minted with, when it is genuine, for this form and browser, and fresh; else null. */
    verify(token: unknown, c: Omit<FormClaims, 'receipt'>, browser: unknown, now: Date): string | null {
      if (typeof token !== 'string' || typeof browser !== 'string' || browser.length < 16 || token.length > 200) return null;
      const [receipt, at, sig] = token.split('.');
      const issuedAt = Number(at);
      if (!receipt || !sig || !Number.isSafeInteger(issuedAt)) return null;
      const age = now.getTime() - issuedAt;
      if (age < -60_000 || age > FORM_TTL_MS) return null;
      const want = Buffer.from(mac({ ...c, receipt }, issuedAt, browser));
      const got = Buffer.from(sig);
      return got.length === want.length && timingSafeEqual(got, want) ? receipt : null;
    },
  };
}

export type FormTokens = ReturnType<typeof createFormTokens>;
