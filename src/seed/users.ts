/**
 * Demo users: one per role in 灵宝市 (`lb-*`) and in 渑池县 (`mc-*`), a city-wide supervisor and the
 * scheduler's `system` user.
 *
 * Ids are fixed constants (not generated) so that `npm run token -- <username>` can mint a token without
 * opening the database, e.g. while `npm start` holds the embedded PGlite directory. They are valid v4-shaped
 * UUIDs; the `d0d1` prefix marks them as demo ids.
 *
 * Jurisdictions follow who does the work in the field: the survey team, the village committee's reviewer
 * and the revisiting cadre work in one township (9-digit prefix); the township reviewer at the township; the
 * county's evaluator, reviewer, caseworker, supervisor and administrator over the whole county (6 digits).
 */
import type { NewUser, ReviewLevel, Role } from '../db/index.js';
import { PLACES } from './regions.js';

export interface DemoUser {
  id: string;
  username: string;
  displayName: string;
  roles: Role[];
  reviewLevel: ReviewLevel | null;
  /** Region-code prefix: 2, 4, 6, 9 or 12 digits. */
  jurisdiction: string;
}

const id = (n: number) => `d0d10000-0000-4000-8000-${String(n).padStart(12, '0')}`;

const LINGBAO = PLACES.lingbao.slice(0, 6); // 411282
const SUCUN = PLACES.sucun.slice(0, 9); // 411282108
const MIANCHI = PLACES.mianchi.slice(0, 6); // 411221
const HONGYANG = PLACES.hongyang.slice(0, 9); // 411221103
const SANMENXIA = PLACES.sanmenxia.slice(0, 4); // 4112

interface CountyStaff {
  prefix: 'lb' | 'mc';
  base: number;
  county: string;
  countyName: string;
  township: string;
  townshipName: string;
  names: Record<'enumerator' | 'evaluator' | 'village' | 'township' | 'county' | 'officer' | 'visitor' | 'supervisor' | 'admin', string>;
}

function countyUsers(c: CountyStaff): DemoUser[] {
  const u = (n: number, username: string, displayName: string, role: Role, jurisdiction: string, reviewLevel: ReviewLevel | null = null): DemoUser => ({
    id: id(c.base + n),
    username: `${c.prefix}-${username}`,
    displayName,
    roles: [role],
    reviewLevel,
    jurisdiction,
  });
  const n = c.names;
  return [
    u(1, 'enumerator', `${n.enumerator}（${c.townshipName}普查员）`, 'enumerator', c.township),
    u(2, 'evaluator', `${n.evaluator}（${c.countyName}评定人员）`, 'evaluator', c.county),
    u(3, 'reviewer-village', `${n.village}（村委会审核）`, 'reviewer', c.township, 'village'),
    u(4, 'reviewer-township', `${n.township}（${c.townshipName}人民政府审核）`, 'reviewer', c.township, 'township'),
    u(5, 'reviewer-county', `${n.county}（${c.countyName}民政局审核）`, 'reviewer', c.county, 'county'),
    u(6, 'officer', `${n.officer}（${c.countyName}民政局经办人）`, 'officer', c.county),
    u(7, 'visitor', `${n.visitor}（村委会回访干部）`, 'visitor', c.township),
    u(8, 'supervisor', `${n.supervisor}（${c.countyName}分管领导）`, 'supervisor', c.county),
    u(9, 'admin', `${n.admin}（${c.countyName}系统管理员）`, 'admin', c.county),
  ];
}

export const demoUsers: readonly DemoUser[] = [
  ...countyUsers({
    prefix: 'lb',
    base: 100,
    county: LINGBAO,
    countyName: '灵宝市',
    township: SUCUN,
    townshipName: '苏村乡',
    names: {
      enumerator: '李娜',
      evaluator: '王建军',
      village: '孙国庆',
      township: '赵志刚',
      county: '刘红梅',
      officer: '陈磊',
      visitor: '孙秀兰',
      supervisor: '杨文华',
      admin: '周涛',
    },
  }),
  ...countyUsers({
    prefix: 'mc',
    base: 200,
    county: MIANCHI,
    countyName: '渑池县',
    township: HONGYANG,
    townshipName: '洪阳镇',
    names: {
      enumerator: '张丽',
      evaluator: '马建国',
      village: '高长顺',
      township: '吴海燕',
      county: '郑伟',
      officer: '胡晓东',
      visitor: '高桂芳',
      supervisor: '郭振华',
      admin: '何平',
    },
  }),
  {
    id: id(301),
    username: 'city-supervisor',
    displayName: '三门峡市民政局（市级督导）',
    roles: ['supervisor'],
    reviewLevel: null,
    jurisdiction: SANMENXIA,
  },
  {
    id: id(302),
    username: 'province-admin',
    displayName: '河南省民政厅（系统管理员）',
    roles: ['admin'],
    reviewLevel: null,
    // Province-wide: the only admin who loads the national working-day calendar and sets global deadlines.
    jurisdiction: PLACES.henan.slice(0, 2),
  },
  {
    id: id(1),
    username: 'system',
    displayName: '系统（定时任务）',
    roles: ['system'],
    reviewLevel: null,
    // The scheduler acts on every case of the deployment (the province prefix covers the whole city).
    jurisdiction: PLACES.henan.slice(0, 2),
  },
];

export const demoUsernames = demoUsers.map((u) => u.username);

export function findDemoUser(username: string): DemoUser | undefined {
  return demoUsers.find((u) => u.username === username);
}

/** A demo user by username; throws for an unknown name (a typo in the seed itself). */
export function demoUser(username: string): DemoUser {
  const u = findDemoUser(username);
  if (!u) throw new Error(`no demo user ${username}`);
  return u;
}

/** A user's principal (the same mapping the service makes from a user record). */
export { principalOf } from '../engine/accounts.js';

/**
 * The password of every demo person (listed in the README). Demo users exist only when demo data is seeded,
 * and production refuses to start while they exist unless ALLOW_DEMO_USERS=on.
 */
export const DEMO_PASSWORD = 'doudi-demo-2026';

/**
 * `passwordHash`: the hash of DEMO_PASSWORD, made once per seed. The scheduler's `system` user is a service account
 * (it gets tokens, never a console session), so the walk-through can show what the scheduler may send.
 */
export function toNewUser(u: DemoUser, passwordHash?: string): NewUser {
  return {
    id: u.id,
    username: u.username,
    displayName: u.displayName,
    roles: [...u.roles],
    reviewLevel: u.reviewLevel,
    jurisdiction: u.jurisdiction,
    active: true,
    demo: true,
    kind: u.roles.includes('system') ? 'service' : 'person',
    passwordHash: passwordHash ?? null,
  };
}
