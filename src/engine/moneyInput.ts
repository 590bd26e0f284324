/**
 * Money at the edge: amounts in yuan as people type them (5784, "5784.50"), checked by zod and turned into whole fen
 * exactly (src/domain/money.ts); field problems with their Chinese text. Shared by the income and projection inputs.
 */
import { z } from 'zod';
import { fenOfYuan, MAX_FEN } from '../domain/money.js';
import { errors, type FieldIssue } from '../errors.js';

export const YUAN_MESSAGE = `expected an amount in yuan, at least 0 and at most ${MAX_FEN / 100}, with at most two decimals (e.g. 5784 or "5784.50")`;
export const YUAN_MESSAGE_ZH = '金额须为以元为单位的数字，不小于 0，最多两位小数（如 5784 或 5784.50）';

/** Yuan as a JSON number or a string; validated here, converted with fenOfYuan after parsing. */
export const yuanSchema = z
  .union([z.number(), z.string()], { error: YUAN_MESSAGE })
  .refine((v) => fenOfYuan(v) !== null, { message: YUAN_MESSAGE })
  .describe('yuan, e.g. 5784 or "5784.50" (stored as whole fen)');

/** zod's issues as FieldIssues under `root`, with the Chinese text our own fields have. */
export function moneyIssues(error: z.ZodError, root: string, zh: Record<string, string> = {}): FieldIssue[] {
  return error.issues.map((i) => {
    const path = [root, ...i.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))].join('.').replace(/\.\[/g, '[');
    const last = String(i.path.at(-1) ?? '');
    const unknownKeys = i.code === 'unrecognized_keys' ? (i as { keys?: string[] }).keys ?? [] : [];
    const messageZh =
      unknownKeys.length > 0 ? `不能识别的字段：${unknownKeys.join('、')}` : i.message === YUAN_MESSAGE ? YUAN_MESSAGE_ZH : zh[last];
    return { path, message: i.message, ...(messageZh ? { messageZh } : {}) };
  });
}

/** Parses `body` with `schema`, or throws VALIDATION_FAILED naming each field as body.<path>. */
export function parseOrFail<S extends z.ZodType>(schema: S, body: unknown, zh: Record<string, string> = {}, root = 'body'): z.infer<S> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw errors.validationFailed(moneyIssues(parsed.error, root, zh));
  return parsed.data;
}
