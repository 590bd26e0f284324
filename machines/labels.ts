/**
 * Simplified Chinese (zh-CN) names of the domain's vocabulary, as the people who use Doudi say them: for
 * messages (machines/rules.ts, src/errors.ts) and for the console. Each dictionary is a Record over the enum in
 * types.ts / events.ts, so a value added there without a label here is a type error. Pure data.
 * The service's public module is src/labels.ts (it re-exports these).
 */
import type { EventType } from './events.js';
import {
  selfCareItems,
  type Category,
  type DisabilityType,
  type ExitReason,
  type FacilityType,
  type GuardianKind,
  type LabourCapacity,
  type PlacementMode,
  type ReviewLevel,
  type Role,
} from './types.js';

export type SelfCareItem = (typeof selfCareItems)[number];

export const roleLabels: Record<Role, string> = {
  enumerator: '普查员',
  evaluator: '评定人员',
  reviewer: '审核人员',
  officer: '经办人',
  visitor: '回访干部',
  supervisor: '督办人员',
  admin: '管理员',
  system: '系统',
  public: '公众（网上提交）',
};

export const levelLabels: Record<ReviewLevel, string> = {
  village: '村委会',
  township: '乡镇',
  county: '县级',
};

export const eventLabels: Record<EventType, string> = {
  UPDATE_SURVEY: '修改普查信息',
  SUBMIT_SURVEY: '提交普查',
  REOPEN: '重新受理',
  START_EVALUATION: '开始评定',
  RECORD_ASSESSMENT: '记录评定',
  SUBMIT_EVALUATION: '提交评定结论',
  APPROVE: '审核通过',
  RETURN: '退回',
  REJECT: '不予认定',
  RECORD_REFUSAL_NOTICE: '登记送达不予认定通知',
  FILE_OBJECTION: '登记异议',
  RESOLVE_OBJECTION: '处理异议',
  NOTICE_PERIOD_ENDED: '公示期满',
  PLACE: '安置',
  RECORD_REVISIT: '记录回访',
  REQUEST_REASSESSMENT: '申请复核',
  EXIT: '退出',
  CANCEL_EXIT: '撤销退出',
  ONBOARD: '存量纳入',
};

export const categoryLabels: Record<Category, string> = {
  elderly: '贫困老年人',
  severe_disability: '重度残疾人',
  serious_illness: '重特大病人',
  severe_intellectual: '重度智力障碍',
  mental_illness: '精神病患者',
};

export const placementModeLabels: Record<PlacementMode, string> = {
  centralized_support: '集中供养',
  centralized_treatment: '集中救治',
  dispersed_care: '分散托养',
};

export const facilityTypeLabels: Record<FacilityType, string> = {
  nursing_home: '敬老院',
  resettlement_site: '集中安置点',
  mutual_aid_center: '互助幸福院',
  county_hospital: '县级医院',
  township_health_center: '乡镇卫生院',
  psychiatric_hospital: '精神专科医院',
};

export const guardianKindLabels: Record<GuardianKind, string> = {
  legal_supporter: '法定赡养人',
  neighbour: '邻居',
  party_member: '党员',
  capable_poor_household: '有能力的贫困户',
};

export const exitReasonLabels: Record<ExitReason, string> = {
  deceased: '死亡',
  moved_away: '迁出',
  regained_capacity: '恢复劳动能力',
  no_longer_eligible: '不再符合条件',
  other: '其他',
};

export const labourCapacityLabels: Record<LabourCapacity, string> = {
  full: '有劳动能力',
  partial: '部分丧失劳动能力',
  none: '无劳动能力',
};

export const disabilityTypeLabels: Record<DisabilityType, string> = {
  physical: '肢体',
  visual: '视力',
  hearing: '听力',
  speech: '言语',
  intellectual: '智力',
  mental: '精神',
};

export const selfCareItemLabels: Record<SelfCareItem, string> = {
  eating: '进食',
  dressing: '穿衣',
  toileting: '如厕',
  bathing: '洗澡',
  indoorMobility: '室内行走',
  transferring: '床椅转移',
};

/** A label, or the value itself when it is not one of the dictionary's keys (e.g. a value from an older version). */
export function labelOf(labels: Record<string, string>, value: unknown): string {
  return typeof value === 'string' && Object.hasOwn(labels, value) ? labels[value] : String(value);
}
