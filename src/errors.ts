import { labelOf, eventLabels, levelLabels, roleLabels } from './labels.js';
import { localizeIssue } from './http/i18n.js';

/**
 * The one catalogue of errors a client can see. Each code is a stable contract: clients branch on `code`,
 * never on `message` (which may be reworded). Add codes here, never rename or renumber them.
 *
 * Every code has an English `message` and a Simplified Chinese `messageZh`; the HTTP layer answers in Chinese
 * when the request's Accept-Language prefers it (src/http/errorHandler.ts, `localizedError`).
 *
 * Business outcomes (a rejected application) are case states, not errors: these codes are for requests
 * the service refuses to carry out.
 */

export interface ErrorSpec {
  /** HTTP status the code is always sent with. */
  readonly status: number;
  /** Message used when the thrower gives none; safe to show to any client. */
  readonly message: string;
  /** The same in Simplified Chinese (zh-CN): plain words for village cadres and civil-affairs officers. */
  readonly messageZh: string;
  /** What `details` holds, for the README table. */
  readonly details: string;
}

export const errorCatalogue = {
  VALIDATION_FAILED: {
    status: 400,
    message: 'The request is invalid; see details for each field',
    messageZh: '提交的信息有误，请按提示逐项修改',
    details: 'list of { path, message }: which field (e.g. body.members[0].idNumber) and what was expected',
  },
  BAD_REQUEST: {
    status: 400,
    message: 'The request is malformed',
    messageZh: '请求格式有误',
    details: 'none (a protocol-level problem such as a bad URL or Content-Length, not a field)',
  },
  UNAUTHENTICATED: {
    status: 401,
    message: 'Sign in, or send a bearer token',
    messageZh: '请先登录',
    details: 'none',
  },
  TOKEN_INVALID: {
    status: 401,
    message: 'The bearer token is not valid here; sign in again',
    messageZh: '登录凭证已失效，请重新登录',
    details: '{ reason }: expired, bad signature, untrusted issuer, wrong audience, bad claims (iat in the future, lifetime over the maximum), or revoked',
  },
  INVALID_CREDENTIALS: {
    status: 401,
    message: 'The username or password is wrong',
    messageZh: '用户名或密码错误',
    details: 'none (the same answer whether or not the username exists, or the account is deactivated)',
  },
  SESSION_EXPIRED: {
    status: 401,
    message: 'The session has ended (signed out, expired or idle too long); sign in again',
    messageZh: '登录已失效（已退出、已过期或长时间未操作），请重新登录',
    details: 'none',
  },
  ACCOUNT_INACTIVE: {
    status: 401,
    message: 'This account has been deactivated',
    messageZh: '此账号已停用',
    details: 'none (given only to a caller who proved who they are with a valid token or session)',
  },
  SSO_FAILED: {
    status: 401,
    message: 'Single sign-on did not complete; try again',
    messageZh: '统一身份认证登录未完成，请重试',
    details: '{ reason }: what went wrong with the identity provider\'s answer (state, code, ID token)',
  },
  FORBIDDEN: {
    status: 403,
    message: 'You may not do this',
    messageZh: '您没有权限进行此操作',
    details: '{ roles?, level?, jurisdiction? }: the role(s), review level or region the action needs',
  },
  PASSWORD_CHANGE_REQUIRED: {
    status: 403,
    message: 'Change your initial or reset password first (POST /auth/password)',
    messageZh: '请先修改初始密码或重置后的密码',
    details: 'none',
  },
  CSRF_TOKEN_INVALID: {
    status: 403,
    message: 'The form is missing its CSRF token or the token does not belong to this session; reload the page',
    messageZh: '页面已过期，请刷新页面后重试',
    details: 'none (send the token of GET /auth/session as X-CSRF-Token, or as the form field _csrf)',
  },
  EXTERNAL_USER_UNKNOWN: {
    status: 403,
    message: 'No Doudi user is linked to this identity; ask an administrator to link it',
    messageZh: '此身份尚未关联本系统用户，请联系管理员关联',
    details: 'none',
  },
  NOT_FOUND: {
    status: 404,
    message: 'Not found',
    messageZh: '未找到相关内容',
    details: 'none',
  },
  CASE_NOT_FOUND: {
    status: 404,
    message: 'No such case',
    messageZh: '未找到该案件',
    details: '{ caseId }',
  },
  USER_NOT_FOUND: {
    status: 404,
    message: 'No such user',
    messageZh: '未找到该用户',
    details: '{ userId }',
  },
  TIMER_NOT_FOUND: {
    status: 404,
    message: 'No such timer',
    messageZh: '未找到该定时任务',
    details: '{ timerId }',
  },
  EVENT_NOT_ALLOWED: {
    status: 409,
    message: 'This event is not allowed in the current state of the case',
    messageZh: '案件当前环节不能进行此操作',
    details: '{ state, event, allowedEvents }',
  },
  TIMER_STATE_CONFLICT: {
    status: 409,
    message: 'The timer is not in a status that allows this',
    messageZh: '定时任务当前状态不允许此操作',
    details: '{ timerId, status, allowed }: the timer\'s status and the statuses the action needs (status `firing`: a worker holds it right now)',
  },
  VERSION_CONFLICT: {
    status: 409,
    message: 'The case was changed by someone else; reload it and try again',
    messageZh: '此案件已被他人更新，请刷新后重试',
    details: '{ expectedVersion, currentVersion }',
  },
  SETTING_VERSION_CONFLICT: {
    status: 409,
    message: 'The setting was changed by someone else; reload it and try again',
    messageZh: '此设置已被他人修改，请刷新后重试',
    details: '{ setting, scope, expectedVersion, currentVersion }: the setting (`deadlines`, `calendar:<year>`, `care_projection`, `dividend_reference:<year>` with the village code as scope), its scope and versions',
  },
  DUPLICATE_RESIDENT: {
    status: 409,
    message: 'A member of this household is already in another open case',
    messageZh: '本户有成员已在其他办理中的案件中',
    details: '{ caseId }: the other open case, when it is in your jurisdiction; otherwise { reported: true } and no case is named (the supervisors over the other case are notified of the attempt). Never the resident ID number',
  },
  USER_CONFLICT: {
    status: 409,
    message: 'Another user already has this value',
    messageZh: '该信息已被其他用户使用',
    details: '{ field }: username or externalId',
  },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    message: 'The request body is too large',
    messageZh: '提交的内容过大',
    details: '{ limitBytes }',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    message: 'Unsupported Content-Type; send application/json',
    messageZh: '不支持的内容类型，请以 JSON 格式提交',
    details: 'none',
  },
  WEBHOOK_TARGET_REFUSED: {
    status: 422,
    message: 'Webhooks may not point at this address',
    messageZh: '不允许向该地址推送消息',
    details: '{ host, address?, reason }: the URL\'s host, the address it resolved to, and why it is refused (`loopback`, `private`, `link_local`, `unspecified`, `multicast`, `reserved`, `numeric_host`, `unresolvable`, …)',
  },
  IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    message: 'This Idempotency-Key was already used with a different request',
    messageZh: '此请求编号（Idempotency-Key）已用于另一项不同的请求',
    details: '{ key }',
  },
  GUARD_FAILED: {
    status: 422,
    message: 'The event breaks a rule of the programme',
    messageZh: '此操作不符合政策规定',
    details: '{ rule, message, violations }: the first rule broken, and every rule broken as { rule, message }',
  },
  DOCUMENT_CHARACTER_UNPRINTABLE: {
    status: 422,
    message: 'A character of the document cannot be printed with the installed fonts; the document was not issued',
    messageZh: '文书中有字符无法用现有字体打印，文书未生成',
    details: '{ character, codePoint, field, person, fonts }: the character (e.g. 𠀾, U+2003E), the field it is in (姓名, 监护人姓名…), whose it is, and the fonts tried',
  },
  DOCUMENT_NOT_APPLICABLE: {
    status: 409,
    message: 'The case is not in a state that has this document',
    messageZh: '案件当前环节不能出具此文书',
    details: '{ kind, state, needs }: the document asked for, the case’s state (or the village’s), and what the document needs',
  },
  ONBOARDING_REFUSED: {
    status: 422,
    message: 'Some households of the onboarding batch were refused; nothing was written',
    messageZh: '部分存量对象未能纳入，本批次全部未写入，请逐户修改后重新提交',
    details: '{ households }: each refused household as { household (its index in the batch, from 0), code, message, details } — code and details as that error alone would carry them (VALIDATION_FAILED with paths under body.households[i], GUARD_FAILED, DUPLICATE_RESIDENT, FORBIDDEN)',
  },
  PRECONDITION_REQUIRED: {
    status: 428,
    message: 'This change needs an If-Match header with the version you read',
    messageZh: '修改前须提供所读取的版本号（If-Match 请求头）',
    details: '{ header, currentVersion }: the header to send (`If-Match: "<version>"`, the ETag of the GET; `"0"` for a setting never set)',
  },
  TOO_MANY_ATTEMPTS: {
    status: 429,
    message: 'Too many failed sign-ins for this account or from this address; try again later',
    messageZh: '登录失败次数过多，请稍后再试',
    details: '{ retryAfterSeconds } (also in the Retry-After header)',
  },
  RATE_LIMITED: {
    status: 429,
    message: 'Too many requests; slow down',
    messageZh: '操作过于频繁，请稍后再试',
    details: '{ retryAfterSeconds } (also in the Retry-After header)',
  },
  PUBLIC_NOTICE_NOT_FOUND: {
    status: 404,
    message: 'No posted notice has this code (or the household is not on it); check the code printed on the paper',
    messageZh: '未找到该查询码对应的公示（或该户不在此公示名单中），请核对纸质公示上印制的查询码',
    details: 'none (an unknown code, a code of a document that is not a posted notice, and a household not on the notice answer alike)',
  },
  PUBLIC_NOTICE_CLOSED: {
    status: 409,
    message: 'The public notice for this household is over (or was withdrawn); an objection can no longer be lodged online',
    messageZh: '该户的公示期已结束（或公示已撤回），不能再网上提交异议；如有意见请向公示上所列单位反映',
    details: 'none',
  },
  PUBLIC_OBJECTION_LIMIT: {
    status: 429,
    message: 'This household has received as many online objections today as the notice accepts; try again tomorrow or object on paper',
    messageZh: '该户今日网上异议已达上限，请明日再提交，或按公示所列地址、电话书面反映',
    details: '{ limit }: online objections accepted per household and day',
  },
  PUBLIC_FORM_EXPIRED: {
    status: 403,
    message: 'The form has expired or was not sent from the notice page; open the notice again and resubmit',
    messageZh: '表单已过期或不是从公示页面提交的，请重新打开公示页面后再提交',
    details: 'none',
  },
  IMPORT_FILE_TOO_LARGE: {
    status: 413,
    message: 'The import file is over the configured size',
    messageZh: '导入文件超过大小上限，请拆分后分别导入',
    details: '{ limitBytes }: IMPORT_MAX_BYTES',
  },
  IMPORT_FORMAT_UNKNOWN: {
    status: 400,
    message: 'Not an XLSX workbook or a CSV file',
    messageZh: '无法识别的文件格式，请上传 Excel 工作簿（.xlsx）或 CSV 文件',
    details: '{ reason }: empty, xls (a legacy workbook: save as .xlsx), binary, zip (damaged), notWorkbook',
  },
  IMPORT_ZIP_BOMB: {
    status: 400,
    message: 'The workbook expands to far more than its size (a zip bomb): refused unopened',
    messageZh: '文件解压后的体积异常巨大（疑似压缩炸弹），已拒绝',
    details: '{ limitBytes }: the largest total uncompressed size accepted',
  },
  IMPORT_MACRO_WORKBOOK: {
    status: 400,
    message: 'A macro-enabled workbook (.xlsm) is not accepted',
    messageZh: '文件含有宏（.xlsm），不予读取，请另存为 .xlsx',
    details: 'none',
  },
  IMPORT_WORKBOOK_ENCRYPTED: {
    status: 400,
    message: 'The workbook is password-protected',
    messageZh: '工作簿设置了打开密码，无法读取，请取消密码后再导入',
    details: 'none',
  },
  IMPORT_HEADER_INVALID: {
    status: 400,
    message: 'The header row does not match the template',
    messageZh: '表头与模板不符，请按模板的列名填写',
    details: '{ missing, unknown, duplicate }: required columns absent, headers not in the template, headers given twice',
  },
  IMPORT_KIND_UNKNOWN: {
    status: 404,
    message: 'No such import kind',
    messageZh: '没有这种导入类型',
    details: '{ kind, known }',
  },
  IMPORT_NOT_FOUND: {
    status: 404,
    message: 'No such import',
    messageZh: '未找到该导入任务',
    details: '{ importId }',
  },
  IMPORT_STATE_CONFLICT: {
    status: 409,
    message: 'The import is not in a status that allows this',
    messageZh: '导入任务当前状态不能进行此操作',
    details: '{ importId, status, allowed }: its status and the statuses the action needs',
  },
  IMPORT_HAS_ERRORS: {
    status: 409,
    message: 'The dry run found errors: fix the file and upload it again',
    messageZh: '试导入发现错误，请按报告修改文件后重新上传',
    details: '{ importId, rowsWithErrors }',
  },
  IMPORT_ALREADY_COMMITTED: {
    status: 409,
    message: 'This file was already imported (same content, kind and jurisdiction)',
    messageZh: '该文件已导入过（内容、类型和辖区均相同），不会重复导入',
    details: '{ importId }: the earlier import that committed it',
  },
  INTERNAL: {
    status: 500,
    message: 'Internal error',
    messageZh: '系统内部错误',
    details: 'none (the response message quotes the request id to give to support)',
  },
  NOT_READY: {
    status: 503,
    message: 'The service is not ready',
    messageZh: '系统暂时不可用，请稍后再试',
    details: 'none',
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof errorCatalogue;
export const errorCodes = Object.keys(errorCatalogue) as ErrorCode[];

/**
 * One field problem. `path` is written the way a developer would index the request: body.members[0].idNumber.
 * `messageZh`, when the code that found the problem wrote one; otherwise the Chinese is derived from `message`
 * (localizeIssue). It never reaches a response as a field of its own.
 */
export interface FieldIssue {
  path: string;
  message: string;
  messageZh?: string;
}

/**
 * An unknown field (zod's `unrecognized_keys`, one issue for all the keys of an object) as one issue per field,
 * each naming its own path: `body.members[0].income`, not `body.members[0]`.
 */
export function unknownFieldIssues(at: string, keys: readonly string[]): FieldIssue[] {
  return keys.map((key) => ({ path: at ? `${at}.${key}` : key, message: 'unknown field', messageZh: '不允许的字段（接口未定义此字段）' }));
}

/** A broken rule as GUARD_FAILED lists it (`messageZh` as for FieldIssue). */
export interface RuleViolation {
  rule: string;
  message: string;
  messageZh?: string;
}

export interface ForbiddenDetails {
  roles?: readonly string[];
  level?: string;
  jurisdiction?: string;
}

/** The shape of `details` per code; codes not listed carry none. */
export interface ErrorDetailsByCode {
  VALIDATION_FAILED: FieldIssue[];
  FORBIDDEN: ForbiddenDetails;
  CASE_NOT_FOUND: { caseId: string };
  EVENT_NOT_ALLOWED: { state: unknown; event: string; allowedEvents: string[] };
  VERSION_CONFLICT: { expectedVersion: number; currentVersion: number };
  TIMER_NOT_FOUND: { timerId: number };
  TOKEN_INVALID: { reason: string };
  SSO_FAILED: { reason: string };
  USER_NOT_FOUND: { userId: string };
  USER_CONFLICT: { field: 'username' | 'externalId' };
  TOO_MANY_ATTEMPTS: { retryAfterSeconds: number };
  RATE_LIMITED: { retryAfterSeconds: number };
  TIMER_STATE_CONFLICT: { timerId: number; status: string; allowed: string[] };
  DUPLICATE_RESIDENT: { caseId: string } | { reported: true };
  SETTING_VERSION_CONFLICT: { setting: string; scope: string; expectedVersion: number; currentVersion: number };
  WEBHOOK_TARGET_REFUSED: { host: string; address?: string; reason: string };
  PRECONDITION_REQUIRED: { header: string; currentVersion: number };
  PAYLOAD_TOO_LARGE: { limitBytes: number };
  IDEMPOTENCY_KEY_REUSED: { key: string };
  GUARD_FAILED: { rule: string; message: string; violations: { rule: string; message: string }[] };
  PUBLIC_OBJECTION_LIMIT: { limit: number };
  DOCUMENT_CHARACTER_UNPRINTABLE: { character: string; codePoint: string; field: string; person: string | null; fonts: string[] };
  DOCUMENT_NOT_APPLICABLE: { kind: string; state: string; needs: string };
  ONBOARDING_REFUSED: { households: { household: number; code: string; message: string; details?: unknown }[] };
  IMPORT_FILE_TOO_LARGE: { limitBytes: number };
  IMPORT_FORMAT_UNKNOWN: { reason: string };
  IMPORT_ZIP_BOMB: { limitBytes: number };
  IMPORT_HEADER_INVALID: { missing: string[]; unknown: string[]; duplicate: string[] };
  IMPORT_KIND_UNKNOWN: { kind: string; known: string[] };
  IMPORT_NOT_FOUND: { importId: string };
  IMPORT_STATE_CONFLICT: { importId: string; status: string; allowed: string[] };
  IMPORT_HAS_ERRORS: { importId: string; rowsWithErrors: number };
  IMPORT_ALREADY_COMMITTED: { importId: string };
}

export type ErrorDetails<C extends ErrorCode> = C extends keyof ErrorDetailsByCode ? ErrorDetailsByCode[C] : never;

export interface AppErrorOptions<C extends ErrorCode> {
  message?: string;
  /** The message in Simplified Chinese; without it a zh answer uses the catalogue's `messageZh`. */
  messageZh?: string;
  details?: ErrorDetails<C>;
  /** `details` with its human-readable texts in Chinese (same shape), when they have any. */
  detailsZh?: ErrorDetails<C>;
  cause?: unknown;
}

export class AppError<C extends ErrorCode = ErrorCode> extends Error {
  readonly code: C;
  readonly statusCode: number;
  readonly details?: ErrorDetails<C>;
  /** The zh-CN message when the thrower built one; `localizedError` falls back to the catalogue's. */
  readonly messageZh?: string;
  readonly detailsZh?: ErrorDetails<C>;

  constructor(code: C, options: AppErrorOptions<C> = {}) {
    super(options.message ?? errorCatalogue[code].message, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.statusCode = errorCatalogue[code].status;
    if (options.details !== undefined) this.details = options.details;
    // Not enumerable: error objects are logged and compared field by field; these are only for responses.
    if (options.messageZh !== undefined) Object.defineProperty(this, 'messageZh', { value: options.messageZh, enumerable: false });
    if (options.detailsZh !== undefined) Object.defineProperty(this, 'detailsZh', { value: options.detailsZh, enumerable: false });
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}

const zhRoles = (roles: readonly string[]) => roles.map((r) => labelOf(roleLabels, r)).join('或');
const zhEvent = (type: string) => labelOf(eventLabels, type);

/** Typed constructors, so call sites read as the refusal they express. */
export const errors = {
  validationFailed: (issues: FieldIssue[], message?: string, messageZh?: string) =>
    new AppError('VALIDATION_FAILED', {
      message,
      messageZh,
      details: issues.map(({ path, message: m }) => ({ path, message: m })),
      detailsZh: issues.map((i) => ({ path: i.path, message: i.messageZh ?? localizeIssue(i) })),
    }),
  badRequest: (message?: string) => new AppError('BAD_REQUEST', { message }),
  unauthenticated: (message?: string) => new AppError('UNAUTHENTICATED', { message }),
  forbidden: (needed: ForbiddenDetails, message?: string, messageZh?: string) =>
    new AppError('FORBIDDEN', {
      message: message ?? forbiddenMessage(needed),
      messageZh: messageZh ?? forbiddenMessageZh(needed),
      details: needed,
    }),
  notFound: (message?: string) => new AppError('NOT_FOUND', { message }),
  tokenInvalid: (reason: string, message?: string) => new AppError('TOKEN_INVALID', { message, details: { reason } }),
  invalidCredentials: () => new AppError('INVALID_CREDENTIALS'),
  sessionExpired: () => new AppError('SESSION_EXPIRED'),
  accountInactive: () => new AppError('ACCOUNT_INACTIVE'),
  ssoFailed: (reason: string) => new AppError('SSO_FAILED', { details: { reason } }),
  passwordChangeRequired: () => new AppError('PASSWORD_CHANGE_REQUIRED'),
  csrfTokenInvalid: () => new AppError('CSRF_TOKEN_INVALID'),
  externalUserUnknown: () => new AppError('EXTERNAL_USER_UNKNOWN'),
  userNotFound: (userId: string) =>
    new AppError('USER_NOT_FOUND', { message: `No user ${userId}`, messageZh: `未找到用户 ${userId}`, details: { userId } }),
  userConflict: (field: 'username' | 'externalId') =>
    new AppError('USER_CONFLICT', {
      message: `Another user already has this ${field}`,
      messageZh: field === 'username' ? '该用户名已被其他用户使用' : '该外部身份已关联其他用户',
      details: { field },
    }),
  tooManyAttempts: (retryAfterSeconds: number) =>
    new AppError('TOO_MANY_ATTEMPTS', { messageZh: `登录失败次数过多，请 ${waitZh(retryAfterSeconds)}后再试`, details: { retryAfterSeconds } }),
  rateLimited: (retryAfterSeconds: number) =>
    new AppError('RATE_LIMITED', { messageZh: `操作过于频繁，请 ${waitZh(retryAfterSeconds)}后再试`, details: { retryAfterSeconds } }),
  publicNoticeNotFound: () => new AppError('PUBLIC_NOTICE_NOT_FOUND'),
  publicNoticeClosed: () => new AppError('PUBLIC_NOTICE_CLOSED'),
  publicObjectionLimit: (limit: number) => new AppError('PUBLIC_OBJECTION_LIMIT', { details: { limit } }),
  publicFormExpired: () => new AppError('PUBLIC_FORM_EXPIRED'),
  caseNotFound: (caseId: string) =>
    new AppError('CASE_NOT_FOUND', { message: `No case ${caseId}`, messageZh: `未找到案件 ${caseId}`, details: { caseId } }),
  eventNotAllowed: (details: ErrorDetailsByCode['EVENT_NOT_ALLOWED']) =>
    new AppError('EVENT_NOT_ALLOWED', {
      message:
        `${details.event} is not allowed now; allowed: ` +
        (details.allowedEvents.length ? details.allowedEvents.join(', ') : 'none'),
      messageZh:
        `案件当前环节不能进行“${zhEvent(details.event)}”操作；` +
        (details.allowedEvents.length ? `当前可进行：${details.allowedEvents.map(zhEvent).join('、')}` : '当前没有可进行的操作'),
      details,
    }),
  timerNotFound: (timerId: number) =>
    new AppError('TIMER_NOT_FOUND', { message: `No timer ${timerId}`, messageZh: `未找到定时任务 ${timerId}`, details: { timerId } }),
  timerStateConflict: (details: ErrorDetailsByCode['TIMER_STATE_CONFLICT']) =>
    new AppError('TIMER_STATE_CONFLICT', {
      message:
        details.status === 'firing'
          ? `Timer ${details.timerId} is being fired by a worker right now; reload it and try again`
          : `Timer ${details.timerId} is ${details.status}; this needs ${details.allowed.join(' or ')}`,
      messageZh:
        details.status === 'firing'
          ? `定时任务 ${details.timerId} 正在执行，请刷新后重试`
          : `定时任务 ${details.timerId} 当前状态为“${timerStatusZh(details.status)}”，此操作要求状态为“${details.allowed.map(timerStatusZh).join('”或“')}”`,
      details,
    }),
  versionConflict: (expectedVersion: number, currentVersion: number) =>
    new AppError('VERSION_CONFLICT', {
      message: `The case is at version ${currentVersion}, not ${expectedVersion}; reload it and try again`,
      messageZh: `此案件已被他人更新（当前为第 ${currentVersion} 版，您看到的是第 ${expectedVersion} 版），请刷新后重试`,
      details: { expectedVersion, currentVersion },
    }),
  settingVersionConflict: (details: ErrorDetailsByCode['SETTING_VERSION_CONFLICT']) =>
    new AppError('SETTING_VERSION_CONFLICT', {
      message: `${details.setting} of scope ${details.scope} is at version ${details.currentVersion}, not ${details.expectedVersion}; reload it and try again`,
      messageZh: `此设置已被他人修改（${settingZh(details.setting)}，范围 ${details.scope}，当前为第 ${details.currentVersion} 版，您看到的是第 ${details.expectedVersion} 版），请刷新后重试`,
      details,
    }),
  preconditionRequired: (currentVersion: number) =>
    new AppError('PRECONDITION_REQUIRED', {
      message: `This change needs If-Match: "${currentVersion}" (the version you read; the ETag of the GET)`,
      messageZh: `修改前须提供所读取的版本号：If-Match: "${currentVersion}"（即查询时返回的 ETag）`,
      details: { header: 'If-Match', currentVersion },
    }),
  webhookTargetRefused: (details: ErrorDetailsByCode['WEBHOOK_TARGET_REFUSED'], message?: string) =>
    new AppError('WEBHOOK_TARGET_REFUSED', {
      message: message ?? `Webhooks may not point at ${details.host} (${details.reason})`,
      messageZh: `不允许向 ${details.host} 推送消息（${webhookReasonZh[details.reason] ?? details.reason}）`,
      details,
    }),
  duplicateResident: (caseId: string) =>
    new AppError('DUPLICATE_RESIDENT', {
      message: `A member of this household is already in open case ${caseId}`,
      messageZh: `本户有成员已在办理中的案件 ${caseId} 中`,
      details: { caseId },
    }),
  /** The other open case is outside the caller's jurisdiction: not named (its supervisors are told instead). */
  duplicateResidentElsewhere: () =>
    new AppError('DUPLICATE_RESIDENT', {
      message: 'A member of this household is already in an open case outside your jurisdiction; its supervisors have been notified',
      messageZh: '本户有成员已在您管辖范围以外的办理中案件中，已通知该案件的督办人员',
      details: { reported: true },
    }),
  payloadTooLarge: (limitBytes: number) =>
    new AppError('PAYLOAD_TOO_LARGE', {
      message: `The request body is larger than ${limitBytes} bytes`,
      messageZh: `提交的内容超过 ${limitBytes} 字节的上限`,
      details: { limitBytes },
    }),
  unsupportedMediaType: (message?: string) => new AppError('UNSUPPORTED_MEDIA_TYPE', { message }),
  idempotencyKeyReused: (key: string) => new AppError('IDEMPOTENCY_KEY_REUSED', { details: { key } }),
  /**
   * The machine refused the event by its rules; the first violation names the error, all are listed.
   * English joins the messages with '; ', Chinese with '；' (a violation without `messageZh` gets the catalogue's).
   */
  guardFailed: (violations: RuleViolation[]) => {
    const en = violations.map(({ rule, message }) => ({ rule, message }));
    const zh = violations.map(({ rule, messageZh }) => ({ rule, message: messageZh ?? errorCatalogue.GUARD_FAILED.messageZh }));
    return new AppError('GUARD_FAILED', {
      message: en.map((v) => v.message).join('; '),
      messageZh: zh.map((v) => v.message).join('；'),
      details: { rule: en[0].rule, message: en[0].message, violations: en },
      detailsZh: { rule: zh[0].rule, message: zh[0].message, violations: zh },
    });
  },
  documentCharacterUnprintable: (details: ErrorDetailsByCode['DOCUMENT_CHARACTER_UNPRINTABLE']) =>
    new AppError('DOCUMENT_CHARACTER_UNPRINTABLE', {
      message: `The character ${details.character} (${details.codePoint}) in ${details.field}${details.person ? ` of ${details.person}` : ''} cannot be printed with the installed fonts (${details.fonts.join(', ')}); the document was not issued`,
      messageZh: `${details.person ? `“${details.person}”的` : ''}${details.field}中的字符“${details.character}”（${details.codePoint}）无法用现有字体打印，文书未生成；请安装可显示该字的字体，或改为手写填写`,
      details,
    }),
  documentNotApplicable: (details: ErrorDetailsByCode['DOCUMENT_NOT_APPLICABLE'], messageZh: string) =>
    new AppError('DOCUMENT_NOT_APPLICABLE', { message: `No ${details.kind} here: the case (or village) is ${details.state}; it needs ${details.needs}`, messageZh, details }),
  /** A batch of onboarded households with refusals: each refused household's own error, by its index. */
  onboardingRefused: (refused: { household: number; error: AppError }[]) => {
    const en = refused.map(({ household, error }) => ({ household, code: error.code, message: error.message, details: error.details }));
    const zh = refused.map(({ household, error }) => ({
      household, code: error.code, message: error.messageZh ?? errorCatalogue[error.code].messageZh, details: error.detailsZh ?? error.details,
    }));
    return new AppError('ONBOARDING_REFUSED', {
      message: `${refused.length} household(s) refused; nothing was written: ${en.map((r) => `[${r.household}] ${r.message}`).join('; ')}`,
      messageZh: `${refused.length} 户未能纳入，本批次全部未写入：${zh.map((r) => `第 ${r.household + 1} 户：${r.message}`).join('；')}`,
      details: { households: en },
      detailsZh: { households: zh },
    });
  },
  internal: (cause?: unknown) => new AppError('INTERNAL', { cause }),
  notReady: (cause?: unknown) => new AppError('NOT_READY', { cause }),
};

function forbiddenMessage(needed: ForbiddenDetails): string {
  const parts: string[] = [];
  if (needed.roles?.length) parts.push(`role ${needed.roles.join(' or ')}`);
  if (needed.level) parts.push(`review level ${needed.level}`);
  if (needed.jurisdiction) parts.push(`jurisdiction over region ${needed.jurisdiction}`);
  return parts.length ? `This needs ${parts.join(', ')}` : errorCatalogue.FORBIDDEN.message;
}

/** 此操作需要管理员权限，以及对区划 411282 的管辖权限. */
export function forbiddenMessageZh(needed: ForbiddenDetails): string {
  const parts: string[] = [];
  if (needed.roles?.length) parts.push(`${zhRoles(needed.roles)}权限`);
  if (needed.level) parts.push(`${labelOf(levelLabels, needed.level)}审核权限`);
  if (needed.jurisdiction) parts.push(`对区划 ${needed.jurisdiction} 的管辖权限`);
  return parts.length ? `此操作需要${parts.join('，以及')}` : errorCatalogue.FORBIDDEN.messageZh;
}

function waitZh(seconds: number): string {
  if (seconds >= 120) return `${Math.ceil(seconds / 60)} 分钟`;
  return `${seconds} 秒`;
}

const timerStatusLabels: Record<string, string> = {
  pending: '待执行', firing: '执行中', done: '已执行', failed: '执行失败', cancelled: '已取消',
};
const timerStatusZh = (status: string) => timerStatusLabels[status] ?? status;

function settingZh(setting: string): string {
  if (setting === 'deadlines') return '办理时限';
  if (setting === 'care_projection') return '护理人员与资金测算参数';
  const dividend = /^dividend_reference:(\d{4})$/.exec(setting);
  if (dividend) return `${dividend[1]} 年一般贫困户集体经济分红标准`;
  const year = /^calendar:(\d{4})$/.exec(setting);
  return year ? `${year[1]} 年工作日历` : setting;
}

const webhookReasonZh: Record<string, string> = {
  loopback: '本机地址',
  private: '内网地址',
  link_local: '链路本地地址',
  unspecified: '未指定地址',
  metadata: '云平台元数据服务地址',
  multicast: '组播地址',
  broadcast: '广播地址',
  reserved: '保留地址或文档示例地址',
  numeric_host: 'IPv4 地址写法不规范，请写成四段十进制数字',
  unresolvable: '无法解析该域名',
};

/** The README table of codes, generated so that it cannot drift from the catalogue. */
export function errorCatalogueMarkdown(): string {
  const rows = errorCodes.map((code) => {
    const spec: ErrorSpec = errorCatalogue[code];
    return `| \`${code}\` | ${spec.status} | ${spec.message} | ${spec.messageZh} | ${spec.details} |`;
  });
  return ['| code | HTTP | default message | 中文 | details |', '|---|---|---|---|---|', ...rows].join('\n');
}

const TABLE_BEGIN = '<!-- error-codes:begin -->';
const TABLE_END = '<!-- error-codes:end -->';

/** The README with its error table (between the error-codes markers) replaced by `table`. */
export function replaceErrorTable(readme: string, table: string): string {
  const begin = readme.indexOf(TABLE_BEGIN);
  const end = readme.indexOf(TABLE_END);
  if (begin < 0 || end < begin) throw new Error(`the README has no ${TABLE_BEGIN} … ${TABLE_END} section`);
  return `${readme.slice(0, begin + TABLE_BEGIN.length)}\n${table}\n${readme.slice(end)}`;
}
