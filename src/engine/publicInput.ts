/**
 * What a villager may type on the public notice page, validated once here (the page and the JSON route share it):
 * plain text only. Markup is refused, not stripped — a text that looks like HTML (`<script>`, `<a href=…>`, an
 * `onerror=` attribute, a `javascript:` link) is not an objection anyone wrote by hand, and stripping would file
 * something other than what was sent. Control characters are refused (line breaks and tabs in the objection's
 * text are kept). Everything shown back is escaped anyway (Eta's `<%= %>`); this keeps such text out of the case.
 */
import { z } from 'zod';
import { normalizeDocumentCode } from '../domain/documentCode.js';

export const PUBLIC_LIMITS = { name: 50, contact: 100, text: 2000, textMin: 5 } as const;

// C0 controls but tab and line feed, DEL, C1 controls, and the Unicode bidirectional overrides and isolates
// (which can make a text read differently on screen than it is stored).
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/;
const MARKUP = /<\s*\/?\s*[a-zA-Z!?]|&#x?[0-9a-fA-F]+;|&[a-zA-Z]+;|javascript\s*:|\bon[a-z]+\s*=/i;

/** A trimmed plain-text field; `multiline` keeps line breaks (CRLF and CR become LF). */
function plainText(label: string, min: number, max: number, multiline = false) {
  return z
    .string({ error: `请填写${label}` })
    .transform((s) => s.replace(/\r\n?/g, '\n').trim())
    .superRefine((s, c) => {
      if (s.length < min) c.addIssue({ code: 'custom', message: min <= 1 ? `请填写${label}` : `${label}至少 ${min} 个字` });
      else if ([...s].length > max) c.addIssue({ code: 'custom', message: `${label}最多 ${max} 个字（现有 ${[...s].length} 个）` });
      if (CONTROL.test(s) || (!multiline && s.includes('\n'))) c.addIssue({ code: 'custom', message: `${label}含有不允许的控制字符，请只填写文字` });
      if (MARKUP.test(s)) c.addIssue({ code: 'custom', message: `${label}不能包含网页代码或链接（如 <script>、<a>、javascript:），请只填写文字` });
    });
}

/** The printed code as a person types it (any case, dash or not): normalized, or refused. */
export const documentCodeInput = z
  .string()
  .max(20, '查询码为 8 位字母数字，如 ABCD-EFGH')
  .transform((s, c) => {
    const code = normalizeDocumentCode(s);
    if (!code) {
      c.addIssue({ code: 'custom', message: '查询码为 8 位字母数字，如 ABCD-EFGH' });
      return z.NEVER;
    }
    return code;
  });

export const caseNumberInput = z.string().regex(/^\d{6}-\d{4}-\d{6}$/, '户编号格式应为 411282-2026-000123');

/** An objection lodged online: for one household on one posted notice. */
export const publicObjectionInputSchema = z.strictObject({
  code: documentCodeInput,
  caseNumber: caseNumberInput,
  name: plainText('姓名', 1, PUBLIC_LIMITS.name),
  contact: plainText('联系方式', 5, PUBLIC_LIMITS.contact),
  text: plainText('异议内容', PUBLIC_LIMITS.textMin, PUBLIC_LIMITS.text, true),
});
export type PublicObjectionInput = z.infer<typeof publicObjectionInputSchema>;

/** A printed copy to check: its code, its SHA-256 (typed, or computed from an upload), or both. */
export const documentCheckInputSchema = z
  .strictObject({
    code: documentCodeInput.optional(),
    sha256: z
      .string()
      .transform((s) => s.trim().toLowerCase())
      .pipe(z.string().regex(/^[0-9a-f]{64}$/, 'SHA-256 为 64 位十六进制数字'))
      .optional(),
  })
  .refine((v) => v.code !== undefined || v.sha256 !== undefined, { message: '请填写查询码，或上传文件 / 填写其 SHA-256', path: ['code'] });
export type DocumentCheckInput = z.infer<typeof documentCheckInputSchema>;
