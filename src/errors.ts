/**
 * The one catalogue of errors a client can see. Each code is a stable contract: clients branch on `code`,
 * never on `message` (which may be reworded). Add codes here, never rename or renumber them.
 *
 * Business outcomes (a rejected application) are case states, not errors: these codes are for requests
 * the service refuses to carry out.
 */

export interface ErrorSpec {
  /** HTTP status the code is always sent with. */
  readonly status: number;
  /** Message used when the thrower gives none; safe to show to any client. */
  readonly message: string;
  /** What `details` holds, for the README table. */
  readonly details: string;
}

export const errorCatalogue = {
  VALIDATION_FAILED: {
    status: 400,
    message: 'The request is invalid; see details for each field',
    details: 'list of { path, message }: which field (e.g. body.members[0].idNumber) and what was expected',
  },
  BAD_REQUEST: {
    status: 400,
    message: 'The request is malformed',
    details: 'none (a protocol-level problem such as a bad URL or Content-Length, not a field)',
  },
  UNAUTHENTICATED: {
    status: 401,
    message: 'Sign in, or send a bearer token',
    details: 'none',
  },
  TOKEN_INVALID: {
    status: 401,
    message: 'The bearer token is not valid here; sign in again',
    details: '{ reason }: expired, bad signature, untrusted issuer, wrong audience, bad claims (iat in the future, lifetime over the maximum), or revoked',
  },
  INVALID_CREDENTIALS: {
    status: 401,
    message: 'The username or password is wrong',
    details: 'none (the same answer whether or not the username exists, or the account is deactivated)',
  },
  SESSION_EXPIRED: {
    status: 401,
    message: 'The session has ended (signed out, expired or idle too long); sign in again',
    details: 'none',
  },
  ACCOUNT_INACTIVE: {
    status: 401,
    message: 'This account has been deactivated',
    details: 'none (given only to a caller who proved who they are with a valid token or session)',
  },
  SSO_FAILED: {
    status: 401,
    message: 'Single sign-on did not complete; try again',
    details: '{ reason }: what went wrong with the identity provider\'s answer (state, code, ID token)',
  },
  FORBIDDEN: {
    status: 403,
    message: 'You may not do this',
    details: '{ roles?, level?, jurisdiction? }: the role(s), review level or region the action needs',
  },
  PASSWORD_CHANGE_REQUIRED: {
    status: 403,
    message: 'Change your initial or reset password first (POST /auth/password)',
    details: 'none',
  },
  CSRF_TOKEN_INVALID: {
    status: 403,
    message: 'The form is missing its CSRF token or the token does not belong to this session; reload the page',
    details: 'none (send the token of GET /auth/session as X-CSRF-Token, or as the form field _csrf)',
  },
  EXTERNAL_USER_UNKNOWN: {
    status: 403,
    message: 'No Doudi user is linked to this identity; ask an administrator to link it',
    details: 'none',
  },
  NOT_FOUND: {
    status: 404,
    message: 'Not found',
    details: 'none',
  },
  CASE_NOT_FOUND: {
    status: 404,
    message: 'No such case',
    details: '{ caseId }',
  },
  USER_NOT_FOUND: {
    status: 404,
    message: 'No such user',
    details: '{ userId }',
  },
  TIMER_NOT_FOUND: {
    status: 404,
    message: 'No such timer',
    details: '{ timerId }',
  },
  EVENT_NOT_ALLOWED: {
    status: 409,
    message: 'This event is not allowed in the current state of the case',
    details: '{ state, event, allowedEvents }',
  },
  TIMER_STATE_CONFLICT: {
    status: 409,
    message: 'The timer is not in a status that allows this',
    details: '{ timerId, status, allowed }: the timer\'s status and the statuses the action needs (status `firing`: a worker holds it right now)',
  },
  VERSION_CONFLICT: {
    status: 409,
    message: 'The case was changed by someone else; reload it and try again',
    details: '{ expectedVersion, currentVersion }',
  },
  SETTING_VERSION_CONFLICT: {
    status: 409,
    message: 'The setting was changed by someone else; reload it and try again',
    details: '{ setting, scope, expectedVersion, currentVersion }: the setting (`deadlines`, `calendar:<year>`), its scope and versions',
  },
  DUPLICATE_RESIDENT: {
    status: 409,
    message: 'A member of this household is already in another open case',
    details: '{ caseId }: the other open case, when it is in your jurisdiction; otherwise { reported: true } and no case is named (the supervisors over the other case are notified of the attempt). Never the resident ID number',
  },
  USER_CONFLICT: {
    status: 409,
    message: 'Another user already has this value',
    details: '{ field }: username or externalId',
  },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    message: 'The request body is too large',
    details: '{ limitBytes }',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    message: 'Unsupported Content-Type; send application/json',
    details: 'none',
  },
  WEBHOOK_TARGET_REFUSED: {
    status: 422,
    message: 'Webhooks may not point at this address',
    details: '{ host, address?, reason }: the URL\'s host, the address it resolved to, and why it is refused (`loopback`, `private`, `link_local`, `unspecified`, `multicast`, `reserved`, `numeric_host`, `unresolvable`, …)',
  },
  IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    message: 'This Idempotency-Key was already used with a different request',
    details: '{ key }',
  },
  GUARD_FAILED: {
    status: 422,
    message: 'The event breaks a rule of the programme',
    details: '{ rule, message, violations }: the first rule broken, and every rule broken as { rule, message }',
  },
  PRECONDITION_REQUIRED: {
    status: 428,
    message: 'This change needs an If-Match header with the version you read',
    details: '{ header, currentVersion }: the header to send (`If-Match: "<version>"`, the ETag of the GET; `"0"` for a setting never set)',
  },
  TOO_MANY_ATTEMPTS: {
    status: 429,
    message: 'Too many failed sign-ins for this account or from this address; try again later',
    details: '{ retryAfterSeconds } (also in the Retry-After header)',
  },
  RATE_LIMITED: {
    status: 429,
    message: 'Too many requests; slow down',
    details: '{ retryAfterSeconds } (also in the Retry-After header)',
  },
  INTERNAL: {
    status: 500,
    message: 'Internal error',
    details: 'none (the response message quotes the request id to give to support)',
  },
  NOT_READY: {
    status: 503,
    message: 'The service is not ready',
    details: 'none',
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof errorCatalogue;
export const errorCodes = Object.keys(errorCatalogue) as ErrorCode[];

/** One field problem. `path` is written the way a developer would index the request: body.members[0].idNumber. */
export interface FieldIssue {
  path: string;
  message: string;
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
}

export type ErrorDetails<C extends ErrorCode> = C extends keyof ErrorDetailsByCode ? ErrorDetailsByCode[C] : never;

export interface AppErrorOptions<C extends ErrorCode> {
  message?: string;
  details?: ErrorDetails<C>;
  cause?: unknown;
}

export class AppError<C extends ErrorCode = ErrorCode> extends Error {
  readonly code: C;
  readonly statusCode: number;
  readonly details?: ErrorDetails<C>;

  constructor(code: C, options: AppErrorOptions<C> = {}) {
    super(options.message ?? errorCatalogue[code].message, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.statusCode = errorCatalogue[code].status;
    if (options.details !== undefined) this.details = options.details;
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}

/** Typed constructors, so call sites read as the refusal they express. */
export const errors = {
  validationFailed: (issues: FieldIssue[], message?: string) =>
    new AppError('VALIDATION_FAILED', { message, details: issues }),
  badRequest: (message?: string) => new AppError('BAD_REQUEST', { message }),
  unauthenticated: (message?: string) => new AppError('UNAUTHENTICATED', { message }),
  forbidden: (needed: ForbiddenDetails, message?: string) =>
    new AppError('FORBIDDEN', { message: message ?? forbiddenMessage(needed), details: needed }),
  notFound: (message?: string) => new AppError('NOT_FOUND', { message }),
  tokenInvalid: (reason: string, message?: string) => new AppError('TOKEN_INVALID', { message, details: { reason } }),
  invalidCredentials: () => new AppError('INVALID_CREDENTIALS'),
  sessionExpired: () => new AppError('SESSION_EXPIRED'),
  accountInactive: () => new AppError('ACCOUNT_INACTIVE'),
  ssoFailed: (reason: string) => new AppError('SSO_FAILED', { details: { reason } }),
  passwordChangeRequired: () => new AppError('PASSWORD_CHANGE_REQUIRED'),
  csrfTokenInvalid: () => new AppError('CSRF_TOKEN_INVALID'),
  externalUserUnknown: () => new AppError('EXTERNAL_USER_UNKNOWN'),
  userNotFound: (userId: string) => new AppError('USER_NOT_FOUND', { message: `No user ${userId}`, details: { userId } }),
  userConflict: (field: 'username' | 'externalId') =>
    new AppError('USER_CONFLICT', { message: `Another user already has this ${field}`, details: { field } }),
  tooManyAttempts: (retryAfterSeconds: number) => new AppError('TOO_MANY_ATTEMPTS', { details: { retryAfterSeconds } }),
  rateLimited: (retryAfterSeconds: number) => new AppError('RATE_LIMITED', { details: { retryAfterSeconds } }),
  caseNotFound: (caseId: string) =>
    new AppError('CASE_NOT_FOUND', { message: `No case ${caseId}`, details: { caseId } }),
  eventNotAllowed: (details: ErrorDetailsByCode['EVENT_NOT_ALLOWED']) =>
    new AppError('EVENT_NOT_ALLOWED', {
      message:
        `${details.event} is not allowed now; allowed: ` +
        (details.allowedEvents.length ? details.allowedEvents.join(', ') : 'none'),
      details,
    }),
  timerNotFound: (timerId: number) =>
    new AppError('TIMER_NOT_FOUND', { message: `No timer ${timerId}`, details: { timerId } }),
  timerStateConflict: (details: ErrorDetailsByCode['TIMER_STATE_CONFLICT']) =>
    new AppError('TIMER_STATE_CONFLICT', {
      message:
        details.status === 'firing'
          ? `Timer ${details.timerId} is being fired by a worker right now; reload it and try again`
          : `Timer ${details.timerId} is ${details.status}; this needs ${details.allowed.join(' or ')}`,
      details,
    }),
  versionConflict: (expectedVersion: number, currentVersion: number) =>
    new AppError('VERSION_CONFLICT', {
      message: `The case is at version ${currentVersion}, not ${expectedVersion}; reload it and try again`,
      details: { expectedVersion, currentVersion },
    }),
  settingVersionConflict: (details: ErrorDetailsByCode['SETTING_VERSION_CONFLICT']) =>
    new AppError('SETTING_VERSION_CONFLICT', {
      message: `${details.setting} of scope ${details.scope} is at version ${details.currentVersion}, not ${details.expectedVersion}; reload it and try again`,
      details,
    }),
  preconditionRequired: (currentVersion: number) =>
    new AppError('PRECONDITION_REQUIRED', {
      message: `This change needs If-Match: "${currentVersion}" (the version you read; the ETag of the GET)`,
      details: { header: 'If-Match', currentVersion },
    }),
  webhookTargetRefused: (details: ErrorDetailsByCode['WEBHOOK_TARGET_REFUSED'], message?: string) =>
    new AppError('WEBHOOK_TARGET_REFUSED', { message: message ?? `Webhooks may not point at ${details.host} (${details.reason})`, details }),
  duplicateResident: (caseId: string) =>
    new AppError('DUPLICATE_RESIDENT', {
      message: `A member of this household is already in open case ${caseId}`,
      details: { caseId },
    }),
  /** The other open case is outside the caller's jurisdiction: not named (its supervisors are told instead). */
  duplicateResidentElsewhere: () =>
    new AppError('DUPLICATE_RESIDENT', {
      message: 'A member of this household is already in an open case outside your jurisdiction; its supervisors have been notified',
      details: { reported: true },
    }),
  payloadTooLarge: (limitBytes: number) =>
    new AppError('PAYLOAD_TOO_LARGE', {
      message: `The request body is larger than ${limitBytes} bytes`,
      details: { limitBytes },
    }),
  unsupportedMediaType: (message?: string) => new AppError('UNSUPPORTED_MEDIA_TYPE', { message }),
  idempotencyKeyReused: (key: string) => new AppError('IDEMPOTENCY_KEY_REUSED', { details: { key } }),
  /** The machine refused the event by its rules; the first violation names the error, all are listed. */
  guardFailed: (violations: { rule: string; message: string }[]) =>
    new AppError('GUARD_FAILED', {
      message: violations.map((v) => v.message).join('; '),
      details: { rule: violations[0].rule, message: violations[0].message, violations },
    }),
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

/** The README table of codes, generated so that it cannot drift from the catalogue. */
export function errorCatalogueMarkdown(): string {
  const rows = errorCodes.map((code) => {
    const spec: ErrorSpec = errorCatalogue[code];
    return `| \`${code}\` | ${spec.status} | ${spec.message} | ${spec.details} |`;
  });
  return ['| code | HTTP | default message | details |', '|---|---|---|---|', ...rows].join('\n');
}
