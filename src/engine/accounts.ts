/**
 * Accounts: who a request is (the user record decides roles, level and jurisdiction — never the token), sign-in
 * with a password, browser sessions, and the admins' management of users. Every change is written to the
 * security log in the transaction that makes it.
 *
 * The user cache: every authenticated request needs its user; a process keeps each one for CACHE_TTL_MS. A
 * change commits with a NOTIFY on `doudi_users` (trigger in the accounts migration) and every process that
 * LISTENs forgets that user at once (createService wires it); the TTL only bounds how stale a process whose
 * listening connection dropped can be, and a reconnect forgets everything.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Tokens } from '@fastify/csrf';
import {
  appendSecurityLog,
  countDemoUsers,
  createAccount,
  deleteExpiredSessions,
  deleteSession,
  deleteUserSessions,
  findUserByExternalId,
  findUserById,
  findUserByUsername,
  insertSession,
  listAccounts,
  listSecurityLog,
  lockUser,
  touchSession,
  updateAccount,
  userConflictField,
  verifySecurityLog,
  type ReviewLevel,
  type Role,
  type SecurityAction,
  type SecurityEntry,
  type SecurityLogRow,
  type Tx,
  type UserKind,
  type UserRow,
} from '../db/index.js';
import { errors } from '../errors.js';
import { generatePassword, hashPassword, passwordProblems, verifyPassword } from '../auth/password.js';
import type { EngineDeps, Principal } from './types.js';

const CACHE_TTL_MS = 60_000;
const CACHE_MAX = 20_000;

/** Roles an admin may grant: every role but the scheduler's own. */
export const GRANTABLE_ROLES = ['enumerator', 'evaluator', 'reviewer', 'officer', 'visitor', 'supervisor', 'admin'] as const satisfies readonly Role[];

export interface SessionPolicy {
  /** A session ends this long after sign-in, whatever happens. */
  ttlMs: number;
  /** …or this long after its last request. */
  idleMs: number;
}

/** Where a request came from, for the security log. */
export interface RequestOrigin {
  ip?: string | null;
  requestId?: string | null;
}

/** A user as every response about accounts shows it (no hash, no token version). */
export interface AccountView {
  id: string;
  username: string;
  displayName: string;
  kind: UserKind;
  roles: Role[];
  reviewLevel: ReviewLevel | null;
  jurisdiction: string;
  active: boolean;
  mustChangePassword: boolean;
  hasPassword: boolean;
  externalId: string | null;
  createdAt: string;
  updatedAt: string;
}

export function accountView(u: UserRow): AccountView {
  return {
    id: u.id,
    username: u.username,
    displayName: u.displayName,
    kind: u.kind,
    roles: u.roles,
    reviewLevel: u.reviewLevel ?? null,
    jurisdiction: u.jurisdiction,
    active: u.active,
    mustChangePassword: u.mustChangePassword,
    hasPassword: !!u.passwordHash,
    externalId: u.externalId ?? null,
    createdAt: u.createdAt.toISOString(),
    updatedAt: u.updatedAt.toISOString(),
  };
}

export const principalOf = (u: Pick<UserRow, 'id' | 'username' | 'roles' | 'reviewLevel' | 'jurisdiction'>): Principal => ({
  id: u.id,
  username: u.username,
  roles: u.roles,
  level: u.reviewLevel ?? null,
  region: u.jurisdiction,
});

export interface NewAccountInput {
  username: string;
  displayName: string;
  kind: UserKind;
  roles: Role[];
  reviewLevel: ReviewLevel | null;
  jurisdiction: string;
  externalId?: string | null;
}

export type AccountPatch = Partial<Pick<NewAccountInput, 'displayName' | 'roles' | 'reviewLevel' | 'jurisdiction' | 'externalId'>>;

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('base64url');
const csrf = new Tokens({ userInfo: false });

export function createAccounts(deps: Pick<EngineDeps, 'db' | 'clock' | 'sessionPolicy' | 'wallClock'>) {
  const { db } = deps;
  // Sessions and sign-in times follow the wall clock, not a demo clock moved days ahead.
  const clock = deps.wallClock ?? deps.clock;
  const policy: SessionPolicy = deps.sessionPolicy ?? { ttlMs: 12 * 3600_000, idleMs: 30 * 60_000 };
  const cache = new Map<string, { user: UserRow | null; until: number }>();

  function forgetUser(id: string): void {
    if (id) cache.delete(id);
    else cache.clear();
  }

  /** The user behind a request, from the cache or the database; null when there is none. */
  async function loadUser(id: string): Promise<UserRow | null> {
    const now = Date.now(); // the cache is about this process, not the case clock
    const hit = cache.get(id);
    if (hit && hit.until > now) return hit.user;
    const user = await findUserById(db, id);
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(id, { user, until: now + CACHE_TTL_MS });
    return user;
  }

  /**
   * The principal for a verified credential naming `userId`. `tokenVersion` is given for bearer tokens: a
   * token minted before a reset or deactivation carries an older one. `forPasswordChange` lets a user whose
   * password must be replaced reach the routes that replace it.
   */
  async function authenticateUser(userId: string, opts: { tokenVersion?: number; allowPasswordChange?: boolean } = {}): Promise<{ principal: Principal; user: UserRow }> {
    const user = await loadUser(userId);
    if (!user) throw errors.tokenInvalid('unknown_user', 'The token names no Doudi user; sign in again');
    if (!user.active) throw errors.accountInactive();
    if (opts.tokenVersion !== undefined && opts.tokenVersion !== user.tokenVersion) {
      throw errors.tokenInvalid('revoked', 'The token was revoked (password reset or account change); sign in again');
    }
    if (user.mustChangePassword && !opts.allowPasswordChange) throw errors.passwordChangeRequired();
    return { principal: principalOf(user), user };
  }

  async function log(tx: Tx, entry: Omit<SecurityEntry, 'at'>): Promise<void> {
    await appendSecurityLog(tx, { ...entry, at: clock.now() });
  }

  /** An entry a user causes about their own account (signing in and out, a token, their password). */
  function logOwn(tx: Tx, action: SecurityAction, user: Pick<UserRow, 'id' | 'username' | 'jurisdiction'>, origin: RequestOrigin, details?: Record<string, unknown>) {
    return log(tx, {
      action,
      actorId: user.id,
      actorUsername: user.username,
      subjectId: user.id,
      subjectUsername: user.username,
      scope: user.jurisdiction,
      ip: origin.ip,
      requestId: origin.requestId,
      details,
    });
  }

  // ---- sign-in -------------------------------------------------------------------------------------------

  /**
   * Checks a username and password. Unknown user, wrong password, deactivated account and a user without a
   * password all give the same INVALID_CREDENTIALS, in about the same time (a decoy hash is verified for an
   * unknown user). Failures are recorded; the caller counts them for the lockout (src/http/routes/auth.ts).
   */
  async function checkPassword(username: string, password: string, origin: RequestOrigin): Promise<UserRow> {
    const user = await findUserByUsername(db, username);
    const check = await verifyPassword(password, user?.passwordHash);
    if (!user || !check.ok || !user.active) {
      // Never the attempted username of an unknown user: people type their password into it.
      await logAttempt('sign_in.failed', user, origin, { reason: !user ? 'unknown_user' : !user.active ? 'inactive' : 'wrong_password' });
      throw errors.invalidCredentials();
    }
    if (check.needsRehash) {
      await db.transaction(async (tx) => updateAccount(tx, user.id, { passwordHash: await hashPassword(password) }));
    }
    return user;
  }

  async function recordLockout(username: string, origin: RequestOrigin): Promise<void> {
    await logAttempt('sign_in.locked', await findUserByUsername(db, username), origin);
  }

  /** A sign-in attempt, about a user who may not exist (then it belongs to no jurisdiction). */
  async function logAttempt(action: 'sign_in.failed' | 'sign_in.locked', user: UserRow | null, origin: RequestOrigin, details?: Record<string, unknown>) {
    await db.transaction((tx) =>
      log(tx, { action, subjectId: user?.id ?? null, subjectUsername: user?.username ?? null, scope: user?.jurisdiction ?? '', ...origin, details }),
    );
  }

  /**
   * A new browser session for `user` (a new id every time: a session id known before sign-in is worth
   * nothing after it). `previous` — the cookie the browser still sent — is ended.
   */
  async function startSession(user: UserRow, origin: RequestOrigin & { previous?: string | null; via: 'password' | 'sso' }) {
    if (user.kind !== 'person') throw errors.forbidden({}, 'A service account cannot sign in to the console; it uses POST /auth/token');
    const secret = randomBytes(32).toString('base64url');
    const csrfSecret = await csrf.secret();
    const now = clock.now();
    const expiresAt = new Date(now.getTime() + policy.ttlMs);
    await db.transaction(async (tx) => {
      if (origin.previous) await deleteSession(tx, sha256(origin.previous));
      await deleteExpiredSessions(tx, now);
      await insertSession(tx, { idHash: sha256(secret), userId: user.id, createdAt: now, lastSeenAt: now, expiresAt, csrfSecret, ip: origin.ip ?? null });
      await logOwn(tx, 'sign_in.succeeded', user, origin, { via: origin.via, session: true });
    });
    return { cookie: secret, csrfToken: csrf.create(csrfSecret), expiresAt, user };
  }

  /** The live session behind a cookie, with its user; SESSION_EXPIRED when it has ended. */
  async function resumeSession(cookie: string) {
    const session = await touchSession(db, sha256(cookie), clock.now(), policy.idleMs);
    if (!session) throw errors.sessionExpired();
    return {
      userId: session.userId,
      expiresAt: session.expiresAt,
      csrfToken: () => csrf.create(session.csrfSecret),
      verifyCsrf: (token: string | undefined) => !!token && csrf.verify(session.csrfSecret, token),
    };
  }

  async function endSession(cookie: string, who: Principal | null, origin: RequestOrigin): Promise<void> {
    await db.transaction(async (tx) => {
      await deleteSession(tx, sha256(cookie));
      if (who) await logOwn(tx, 'sign_out', { id: who.id, username: who.username, jurisdiction: who.region }, origin);
    });
  }

  async function recordTokenIssued(user: UserRow, origin: RequestOrigin & { via: string }): Promise<void> {
    await db.transaction((tx) => logOwn(tx, 'token.issued', user, origin, { via: origin.via }));
  }

  /**
   * A user replaces their own password (required after an initial or reset one). Their other sessions end
   * and their tokens stop working; the session making the change (if any) stays.
   */
  async function changePassword(userId: string, input: { currentPassword: string; newPassword: string }, origin: RequestOrigin & { keepSession?: string | null }) {
    const user = await findUserById(db, userId);
    if (!user || !user.active) throw errors.accountInactive();
    const check = await verifyPassword(input.currentPassword, user.passwordHash);
    if (!check.ok) throw errors.validationFailed([{ path: 'body.currentPassword', message: 'is not your current password' }]);
    const problems = passwordProblems(input.newPassword, user.username);
    if (input.newPassword === input.currentPassword) problems.push('must differ from the current password');
    if (problems.length) throw errors.validationFailed([{ path: 'body.newPassword', message: problems.join('; ') }]);
    const passwordHash = await hashPassword(input.newPassword);
    const updated = await db.transaction(async (tx) => {
      const locked = await lockUser(tx, userId);
      if (!locked) throw errors.accountInactive();
      const row = await updateAccount(tx, userId, { passwordHash, mustChangePassword: false, tokenVersion: locked.tokenVersion + 1, updatedAt: clock.now() });
      await deleteUserSessions(tx, userId, origin.keepSession ? sha256(origin.keepSession) : undefined);
      await logOwn(tx, 'user.password_changed', user, origin);
      return row;
    });
    forgetUser(userId);
    return updated;
  }

  // ---- single sign-on ------------------------------------------------------------------------------------

  /** The Doudi user an identity provider's subject maps to (users.external_id); refused when none or inactive. */
  async function userForExternalId(externalId: string): Promise<UserRow> {
    const user = await findUserByExternalId(db, externalId);
    if (!user) throw errors.externalUserUnknown();
    if (!user.active) throw errors.accountInactive();
    return user;
  }

  // ---- administration ------------------------------------------------------------------------------------

  function assertAdmin(admin: Principal): void {
    if (!admin.roles.includes('admin')) throw errors.forbidden({ roles: ['admin'] });
  }

  /** A user outside the admin's jurisdiction does not exist for them (as cases do not). */
  function assertManaged(admin: Principal, user: UserRow | null, userId: string): asserts user is UserRow {
    if (!user || !user.jurisdiction.startsWith(admin.region)) throw errors.userNotFound(userId);
  }

  function assertGrant(admin: Principal, next: { roles: Role[]; reviewLevel: ReviewLevel | null; jurisdiction: string; kind: UserKind }): void {
    if (!next.jurisdiction.startsWith(admin.region)) {
      throw errors.forbidden({ jurisdiction: next.jurisdiction }, `You may grant jurisdiction only inside your own (${admin.region}); ${next.jurisdiction} is not`);
    }
    const bad = next.roles.filter((r) => !(GRANTABLE_ROLES as readonly Role[]).includes(r));
    if (bad.length) throw errors.validationFailed([{ path: 'body.roles', message: `cannot be granted: ${bad.join(', ')}` }]);
    const reviewer = next.roles.includes('reviewer');
    if (reviewer && !next.reviewLevel) throw errors.validationFailed([{ path: 'body.reviewLevel', message: 'a reviewer needs a review level (village, township or county)' }]);
    if (!reviewer && next.reviewLevel) throw errors.validationFailed([{ path: 'body.reviewLevel', message: 'only reviewers have a review level; send null' }]);
  }

  async function withConflicts<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      const field = userConflictField(err);
      if (field) throw errors.userConflict(field);
      throw err;
    }
  }

  const subjectOf = (u: UserRow) => ({ subjectId: u.id, subjectUsername: u.username, scope: u.jurisdiction });
  const actorOf = (p: Principal) => ({ actorId: p.id, actorUsername: p.username });

  async function listUsers(admin: Principal, query: { after?: string; limit: number; active?: boolean; within?: string }) {
    assertAdmin(admin);
    if (query.within && !query.within.startsWith(admin.region)) throw errors.forbidden({ jurisdiction: query.within });
    const prefix = query.within ?? admin.region;
    const rows = await listAccounts(db, { prefix, after: query.after, limit: query.limit + 1, active: query.active });
    const page = rows.slice(0, query.limit);
    return { items: page.map(accountView), nextAfter: rows.length > query.limit ? page[page.length - 1].username : null };
  }

  async function getUser(admin: Principal, userId: string): Promise<AccountView> {
    assertAdmin(admin);
    const user = await findUserById(db, userId);
    assertManaged(admin, user, userId);
    return accountView(user);
  }

  /** One user by username (the console's admin pages name users so); outside the jurisdiction: USER_NOT_FOUND. */
  async function getUserByUsername(admin: Principal, username: string): Promise<AccountView> {
    assertAdmin(admin);
    const user = await findUserByUsername(db, username);
    assertManaged(admin, user, username);
    return accountView(user);
  }

  /**
   * Creates a user. A person gets a random initial password to be changed at first sign-in (unless they sign
   * in only through single sign-on: `password: false`); a service account gets a secret. Either is returned
   * this once.
   */
  async function createUser(admin: Principal, input: NewAccountInput & { password?: boolean }, origin: RequestOrigin) {
    assertAdmin(admin);
    assertGrant(admin, input);
    const initial = input.password === false && input.kind === 'person' ? null : generatePassword(input.kind === 'service' ? 24 : 12);
    const passwordHash = initial ? await hashPassword(initial) : null;
    const now = clock.now();
    const user = await withConflicts(() =>
      db.transaction(async (tx) => {
        const row = await createAccount(tx, {
          username: input.username,
          displayName: input.displayName,
          kind: input.kind,
          roles: input.roles,
          reviewLevel: input.reviewLevel,
          jurisdiction: input.jurisdiction,
          externalId: input.externalId ?? null,
          passwordHash,
          mustChangePassword: !!initial && input.kind === 'person',
          createdAt: now,
          updatedAt: now,
        });
        await log(tx, {
          action: 'user.created',
          ...actorOf(admin),
          ...subjectOf(row),
          ...origin,
          details: { kind: row.kind, roles: row.roles, reviewLevel: row.reviewLevel, jurisdiction: row.jurisdiction, externalId: !!row.externalId },
        });
        return row;
      }),
    );
    return { user: accountView(user), initialPassword: initial };
  }

  async function updateUser(admin: Principal, userId: string, patch: AccountPatch, origin: RequestOrigin): Promise<AccountView> {
    assertAdmin(admin);
    const user = await withConflicts(() =>
      db.transaction(async (tx) => {
        const current = await lockUser(tx, userId);
        assertManaged(admin, current, userId);
        const next = {
          roles: patch.roles ?? current.roles,
          reviewLevel: patch.reviewLevel !== undefined ? patch.reviewLevel : (current.reviewLevel ?? null),
          jurisdiction: patch.jurisdiction ?? current.jurisdiction,
          kind: current.kind,
        };
        // Changing a role of a reviewer to a non-reviewer drops the level with it, unless one is sent.
        if (patch.roles && !next.roles.includes('reviewer') && patch.reviewLevel === undefined) next.reviewLevel = null;
        assertGrant(admin, next);
        if (userId === admin.id && !next.roles.includes('admin')) {
          throw errors.forbidden({}, 'You cannot remove your own admin role; ask another administrator');
        }
        const changed: Record<string, unknown> = {};
        if (patch.displayName !== undefined && patch.displayName !== current.displayName) changed.displayName = true; // the value is a name: not logged
        if (patch.externalId !== undefined && patch.externalId !== current.externalId) changed.externalId = patch.externalId ? 'linked' : 'unlinked';
        if (JSON.stringify(next.roles) !== JSON.stringify(current.roles)) changed.roles = { from: current.roles, to: next.roles };
        if (next.reviewLevel !== (current.reviewLevel ?? null)) changed.reviewLevel = { from: current.reviewLevel ?? null, to: next.reviewLevel };
        if (next.jurisdiction !== current.jurisdiction) changed.jurisdiction = { from: current.jurisdiction, to: next.jurisdiction };
        if (Object.keys(changed).length === 0) return current;
        const row = await updateAccount(tx, userId, {
          displayName: patch.displayName ?? current.displayName,
          externalId: patch.externalId !== undefined ? patch.externalId : current.externalId,
          roles: next.roles,
          reviewLevel: next.reviewLevel,
          jurisdiction: next.jurisdiction,
          updatedAt: clock.now(),
        });
        await log(tx, { action: 'user.updated', ...actorOf(admin), ...subjectOf(row), ...origin, details: changed });
        return row;
      }),
    );
    forgetUser(userId);
    return accountView(user);
  }

  /** Deactivation takes effect at the user's next request: their sessions end and their tokens stop. */
  async function setActive(admin: Principal, userId: string, active: boolean, origin: RequestOrigin): Promise<AccountView> {
    assertAdmin(admin);
    if (userId === admin.id && !active) throw errors.forbidden({}, 'You cannot deactivate your own account; ask another administrator');
    const user = await db.transaction(async (tx) => {
      const current = await lockUser(tx, userId);
      assertManaged(admin, current, userId);
      if (current.active === active) return current;
      const row = await updateAccount(tx, userId, { active, tokenVersion: current.tokenVersion + (active ? 0 : 1), updatedAt: clock.now() });
      if (!active) await deleteUserSessions(tx, userId);
      await log(tx, { action: active ? 'user.reactivated' : 'user.deactivated', ...actorOf(admin), ...subjectOf(row), ...origin });
      return row;
    });
    forgetUser(userId);
    return accountView(user);
  }

  /** A new random password, to be changed at the next sign-in; the user's sessions and tokens end. */
  async function resetPassword(admin: Principal, userId: string, origin: RequestOrigin) {
    assertAdmin(admin);
    const password = generatePassword();
    const passwordHash = await hashPassword(password);
    const user = await db.transaction(async (tx) => {
      const current = await lockUser(tx, userId);
      assertManaged(admin, current, userId);
      const row = await updateAccount(tx, userId, {
        passwordHash,
        mustChangePassword: current.kind === 'person',
        tokenVersion: current.tokenVersion + 1,
        updatedAt: clock.now(),
      });
      await deleteUserSessions(tx, userId);
      await log(tx, { action: 'user.password_reset', ...actorOf(admin), ...subjectOf(row), ...origin });
      return row;
    });
    forgetUser(userId);
    return { user: accountView(user), temporaryPassword: password };
  }

  /**
   * The first administrator of an installation (nobody can sign in yet to create one): `npm run create-admin`
   * on the server, with access to the database. A random initial password, to be changed at first sign-in,
   * returned this once; recorded in the security log as done from the command line.
   */
  async function bootstrapAdmin(input: { username: string; displayName: string; jurisdiction: string }, origin: RequestOrigin = {}) {
    const initial = generatePassword();
    const passwordHash = await hashPassword(initial);
    const now = clock.now();
    const user = await withConflicts(() =>
      db.transaction(async (tx) => {
        const row = await createAccount(tx, {
          username: input.username,
          displayName: input.displayName,
          kind: 'person',
          roles: ['admin'],
          reviewLevel: null,
          jurisdiction: input.jurisdiction,
          passwordHash,
          mustChangePassword: true,
          createdAt: now,
          updatedAt: now,
        });
        await log(tx, { action: 'user.created', actorUsername: 'command line', ...subjectOf(row), ...origin, details: { via: 'create-admin', roles: row.roles, jurisdiction: row.jurisdiction } });
        return row;
      }),
    );
    return { user: accountView(user), initialPassword: initial };
  }

  async function securityLog(admin: Principal, query: { subjectId?: string; beforeSeq?: number; limit: number }) {
    assertAdmin(admin);
    const rows = await listSecurityLog(db, { prefix: admin.region, subjectId: query.subjectId, beforeSeq: query.beforeSeq, limit: query.limit });
    return rows.map(securityLogView);
  }

  /** The security log's whole chain: one chain for every jurisdiction, so only a province-wide admin checks it. */
  async function verifySecurityLogChain(admin: Principal) {
    assertAdmin(admin);
    if (admin.region.length > 2) throw errors.forbidden({ jurisdiction: admin.region.slice(0, 2) }, 'The security log is one chain for the whole installation: a province-wide admin verifies it');
    return verifySecurityLog(db);
  }

  return {
    verifySecurityLogChain,
    forgetUser,
    authenticateUser,
    loadUser,
    checkPassword,
    recordLockout,
    startSession,
    resumeSession,
    endSession,
    recordTokenIssued,
    changePassword,
    userForExternalId,
    listUsers,
    getUser,
    getUserByUsername,
    createUser,
    updateUser,
    setActive,
    resetPassword,
    bootstrapAdmin,
    securityLog,
    countDemoUsers: () => countDemoUsers(db),
    sessionPolicy: policy,
  };
}

export type Accounts = ReturnType<typeof createAccounts>;

export function securityLogView(r: SecurityLogRow) {
  return {
    seq: r.seq,
    at: r.at.toISOString(),
    action: r.action,
    actorId: r.actorId,
    actorUsername: r.actorUsername,
    subjectId: r.subjectId,
    subjectUsername: r.subjectUsername,
    scope: r.scope,
    ip: r.ip,
    requestId: r.requestId,
    details: r.details,
    hash: r.hash,
  };
}
