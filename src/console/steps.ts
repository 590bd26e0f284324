/**
 * The case path as people see it: the steps in order (for the status bar and the step filter) and the zh-CN
 * label of any stored state value, read from the machine's own state metadata so the console can never
 * disagree with it.
 */

import { stateLabelOf } from '../labels.js';

export { stateLabelOf };

/** The main path, in order: the status bar's steps. Side branches (screened out, rejected) show instead of it. */
export const MAIN_PATH = ['survey', 'preliminary', 'evaluation', 'review', 'publicity', 'awaitingPlacement', 'active', 'exitNotice', 'exited'] as const;

export const STEP_LABELS: Record<(typeof MAIN_PATH)[number], string> = {
  survey: '入户普查',
  preliminary: '初步名单',
  evaluation: '逐户评定',
  review: '逐级审核',
  publicity: '公示',
  awaitingPlacement: '安置',
  active: '回访',
  exitNotice: '退出公示',
  exited: '已退出',
};

/** Steps a person filters by (top-level states, side branches included). */
export const STEP_FILTERS: { value: string; label: string }[] = [
  ...MAIN_PATH.map((s) => ({ value: s, label: STEP_LABELS[s] })),
  { value: 'screenedOut', label: '未通过筛查' },
  { value: 'rejected', label: '未通过审核' },
];

export interface StatusStep {
  key: string;
  label: string;
  status: 'done' | 'current' | 'todo';
}

/** The status bar for a case in `state`: the main path with the current step marked (or the branch it left to). */
export function statusBar(state: string): { steps: StatusStep[]; branch: string | null } {
  const top = state.split('.')[0];
  const at = MAIN_PATH.indexOf(top as (typeof MAIN_PATH)[number]);
  if (at < 0) {
    // screenedOut after the survey, rejected during review: the path up to where it left, then the branch.
    const leftAt = top === 'screenedOut' ? 1 : 3;
    return {
      steps: MAIN_PATH.slice(0, leftAt + 1).map((s, i) => ({ key: s, label: STEP_LABELS[s], status: i < leftAt ? 'done' : 'current' })),
      branch: stateLabelOf(state),
    };
  }
  return { steps: MAIN_PATH.map((s, i) => ({ key: s, label: STEP_LABELS[s], status: i < at ? 'done' : i === at ? (s === 'exited' ? 'done' : 'current') : 'todo' })), branch: null };
}
