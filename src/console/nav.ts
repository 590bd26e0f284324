// The menu each role sees. Showing a link is a convenience: every page checks the role again through the engine.
import type { Principal } from '../engine/types.js';
import { CONSOLE } from './session.js';

export interface NavItem {
  href: string;
  label: string;
  current: boolean;
}

const ITEMS: { path: string; label: string; roles?: string[]; demoOnly?: boolean }[] = [
  { path: '/', label: '待办' },
  { path: '/cases', label: '案件查询' },
  { path: '/survey', label: '入户普查', roles: ['enumerator'] },
  { path: '/imports', label: '批量导入', roles: ['enumerator'] },
  { path: '/revisits', label: '回访', roles: ['visitor'] },
  { path: '/supervise', label: '督办', roles: ['supervisor'] },
  { path: '/reports', label: '报表', roles: ['supervisor', 'officer', 'admin', 'reviewer'] },
  { path: '/projection', label: '资金测算', roles: ['officer', 'supervisor', 'admin'] },
  { path: '/admin', label: '管理', roles: ['admin'] },
  { path: '/demo-clock', label: '演示时钟', roles: ['admin'], demoOnly: true },
];

export function navFor(principal: Principal, url: string, opts: { demoClock?: boolean } = {}): NavItem[] {
  const path = url.split('?')[0].slice(CONSOLE.length) || '/';
  return ITEMS.filter((i) => !i.demoOnly || opts.demoClock).filter((i) => !i.roles || i.roles.some((r) => principal.roles.includes(r as Principal['roles'][number]))).map((i) => ({
    href: `${CONSOLE}${i.path}`,
    label: i.label,
    current: i.path === '/' ? path === '/' : path.startsWith(i.path),
  }));
}
