/**
 * Simplified Chinese (zh-CN) labels of the domain's enums (roles, review levels, event types, categories,
 * placement modes, facility types, guardian kinds, exit reasons, labour capacity, disability types, self-care
 * items), for error messages and the console. Each is a Record over the enum of machines/types.ts or
 * machines/events.ts, so a missing label is a type error. Defined beside the enums in machines/labels.ts (the
 * machine's rules need them and machines/ imports nothing from src/); this is the module to import.
 */
import type { IncomeGroup, IncomeSource } from './domain/income.js';

export {
  roleLabels,
  levelLabels,
  eventLabels,
  categoryLabels,
  placementModeLabels,
  facilityTypeLabels,
  guardianKindLabels,
  exitReasonLabels,
  labourCapacityLabels,
  disabilityTypeLabels,
  selfCareItemLabels,
  labelOf,
  type SelfCareItem,
} from '../machines/labels.js';
import { caseMachine } from '../machines/index.js';

type StateNode = { meta?: { label?: string }; states: Record<string, StateNode> };

/**
 * zh-CN label of a dotted state value ('publicity.objected' → 异议处理中): the deepest labelled node, read from the
 * machine's own state metadata so no list here can disagree with it.
 */
export function stateLabelOf(state: string): string {
  const parts = state.split('.');
  for (let n = parts.length; n > 0; n--) {
    let node: StateNode | undefined = caseMachine.root as unknown as StateNode;
    for (const key of parts.slice(0, n)) node = node?.states[key];
    const label = node?.meta?.label;
    if (label) return label;
  }
  return state;
}

export const sexLabels: Record<'male' | 'female', string> = { male: '男', female: '女' };

export const objectionChannelLabels: Record<'paper' | 'in_person' | 'phone' | 'online', string> = {
  paper: '书面',
  in_person: '当面',
  phone: '电话',
  online: '网上提交',
};

export const objectionOutcomeLabels: Record<'upheld' | 'dismissed', string> = { upheld: '异议成立', dismissed: '异议不成立' };

/** The step a deadline belongs to (cases.deadline_key), as the overdue views name it. */
export const deadlineKeyLabels: Record<string, string> = {
  surveySubmitted: '入户普查',
  evaluationStarted: '开始评定',
  evaluationSubmitted: '逐户评定',
  review: '逐级审核',
  'review.village': '村委会审核',
  'review.township': '乡镇审核',
  'review.county': '县级审核',
  noticePeriod: '公示',
  objectionResolved: '异议处理',
  placement: '安置',
  revisit: '回访',
  exitNotice: '退出公示',
  refusalNotice: '送达不予认定通知',
};

/** Household income sources (家庭收入来源), as the civil-affairs forms name them. */
export const incomeSourceLabels: Record<IncomeSource, string> = {
  dibao: '低保金',
  tekun: '特困供养金（五保）',
  pension: '养老保险金',
  assistance: '临时救助',
  disability_allowance: '残疾人补贴',
  dividend_individual: '“1+1”带贫分红',
  dividend_collective: '集体经济分红',
  dividend_enterprise: '企业扶贫公益股分红',
  care_fund: '关爱基金（爱心基金）',
};

export const incomeGroupLabels: Record<IncomeGroup, string> = { policy: '政策性收入', dividends: '分红收入', care_fund: '关爱基金' };

/** The 120% collective-dividend check (集体经济分红不低于一般贫困户的 120%). */
export const dividendCheckLabels: Record<'ok' | 'shortfall' | 'no_reference', string> = {
  ok: '已达到一般贫困户的 120%',
  shortfall: '低于一般贫困户的 120%',
  no_reference: '本村本年度尚未设定一般贫困户分红标准',
};
