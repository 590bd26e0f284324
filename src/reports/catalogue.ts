/**
 * The reports (统计报表): their names (the API path `GET /reports/<name>` and the export's file-name stem), zh-CN
 * titles, who may read them, and the labels their rows use. Every report is a ReportTable (./table.ts).
 *
 * Who reads reports: supervisors (whose work they are), officers and admins (who run the programme in their
 * area) and reviewers (the county's civil-affairs office signs at the county level and reports upward). Field
 * roles — enumerators, evaluators, visitors — have their worklists instead. No report carries personal data:
 * only counts, region names, facility names and figures.
 */
import { caseMachine, type Role } from '../../machines/index.js';

export const REPORT_NAMES = [
  'by-state',
  'by-placement',
  'by-category',
  'by-region',
  'monthly-flows',
  'approval-time',
  'overdue',
  'revisits',
  'facilities',
] as const;
export type ReportName = (typeof REPORT_NAMES)[number];

export const REPORT_TITLES: Record<ReportName, string> = {
  'by-state': '按办理状态统计',
  'by-placement': '按安置方式统计（三个一批）',
  'by-category': '按五类对象统计',
  'by-region': '按地区统计',
  'monthly-flows': '月度办理情况',
  'approval-time': '认定用时（普查提交至审批通过，工作日）',
  overdue: '超期环节统计',
  revisits: '回访情况（按村）',
  facilities: '供养机构入住与护理人员配比',
};

/** Reports that take a period (from, to: months, China time). */
export const PERIOD_REPORTS: readonly ReportName[] = ['monthly-flows', 'approval-time', 'revisits'];

export const reportReaders: readonly Role[] = ['supervisor', 'officer', 'admin', 'reviewer'];

/** States a case is in while its household is in care (placed): counted by placement mode. */
export const IN_CARE_STATES: readonly string[] = ['active.monitoring', 'active.reassessmentDue', 'exitNotice'];
/** States of a case no longer on the path: left out of "open" counts (categories, regions). */
export const CLOSED_OR_OFF_PATH = (state: string) => state === 'exited' || state === 'screenedOut' || state.startsWith('rejected');

type Node = { meta?: { label?: string }; states?: Record<string, Node> };

/** zh-CN label of a stored state value, from the machine's own metadata (as the console's steps.ts reads it). */
export function stateLabel(state: string): string {
  const parts = state.split('.');
  for (let n = parts.length; n > 0; n--) {
    let node: Node | undefined = caseMachine.root as unknown as Node;
    for (const key of parts.slice(0, n)) node = node?.states?.[key];
    if (node?.meta?.label) return node.meta.label;
  }
  return state;
}

/** Order of states along the path, for the by-state report (states not listed sort last, by name). */
export const STATE_ORDER = [
  'survey', 'preliminary', 'screenedOut', 'evaluation', 'review', 'publicity', 'awaitingPlacement',
  'active', 'exitNotice', 'exited', 'rejected',
];
export const stateRank = (state: string) => {
  const i = STATE_ORDER.indexOf(state.split('.')[0]);
  return i < 0 ? STATE_ORDER.length : i;
};

export const FLOW_LABELS = { survey: '普查提交', approval: '审批通过', placement: '安置', exit: '退出' } as const;
export type Flow = keyof typeof FLOW_LABELS;

/** The nearest-rank percentile of a weighted distribution (values with counts): the smallest value v with at least ⌈p·N⌉ observations ≤ v. */
export function percentile(dist: readonly { value: number; n: number }[], p: number): number | null {
  const total = dist.reduce((s, d) => s + d.n, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(p * total));
  const sorted = [...dist].sort((a, b) => a.value - b.value);
  let seen = 0;
  for (const d of sorted) {
    seen += d.n;
    if (seen >= rank) return d.value;
  }
  return sorted.at(-1)!.value;
}

/** Months YYYY-MM from `from` to `to` inclusive. */
export function monthsBetween(from: string, to: string): string[] {
  const out: string[] = [];
  let [y, m] = from.split('-').map(Number);
  const [ty, tm] = to.split('-').map(Number);
  while (y < ty || (y === ty && m <= tm)) {
    out.push(`${y}-${String(m).padStart(2, '0')}`);
    m += 1;
    if (m > 12) {
      m = 1;
      y += 1;
    }
    if (out.length > 240) break;
  }
  return out;
}

/** The last day of a month YYYY-MM. */
export function monthEnd(month: string): string {
  const [y, m] = month.split('-').map(Number);
  return new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
}
