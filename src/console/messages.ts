/**
 * What a person reads when something is refused: the error catalogue's zh-CN message for the code, with the
 * field problems of a VALIDATION_FAILED beside the fields they belong to. The API gives the same words to a
 * client that asks for zh (Accept-Language): both come from src/errors.ts.
 */
import { AppError, errorCatalogue, type FieldIssue } from '../errors.js';
import { toAppError } from '../http/errorHandler.js';
import { FALLBACK_ZH } from './zhFallback.js';

export interface ShownError {
  code: string;
  status: number;
  message: string;
  /** Field problems by the form field's name (body.members[0].idNumber → members[0].idNumber). */
  fields: Record<string, string>;
  /** The case changed under the page (VERSION_CONFLICT): offer a reload. */
  stale: boolean;
}

type Zh = { messageZh?: string };

export function zhMessage(err: AppError): string {
  return (err as AppError & Zh).messageZh ?? (errorCatalogue[err.code] as Zh).messageZh ?? FALLBACK_ZH[err.code] ?? err.message;
}

export function fieldMessage(issue: FieldIssue): string {
  return (issue as FieldIssue & Zh).messageZh ?? issue.message;
}

export function shownError(thrown: unknown, requestId: string): ShownError {
  const err = toAppError(thrown);
  const fields: Record<string, string> = {};
  if (err.code === 'VALIDATION_FAILED') {
    for (const issue of (err.details as FieldIssue[] | undefined) ?? []) {
      const name = issue.path.replace(/^body\.?/, '') || '(form)';
      fields[name] = fields[name] ? `${fields[name]}；${fieldMessage(issue)}` : fieldMessage(issue);
    }
  }
  const message = err.code === 'INTERNAL' ? `系统内部错误，请将编号 ${requestId} 告知系统管理员` : zhMessage(err);
  return { code: err.code, status: err.statusCode, message, fields, stale: err.code === 'VERSION_CONFLICT' };
}
