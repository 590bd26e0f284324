/**
 * zh-CN labels of the domain's words, for everything a person reads: the console, error messages, documents.
 * Typed over the domain's enums, so a value without a label is a type error.
 */
import type { EventType } from '../machines/events.js';
import type {
  Category,
  DisabilityType,
  ExitReason,
  FacilityType,
  GuardianKind,
  LabourCapacity,
  PlacementMode,
  ReviewLevel,
  Role,
  selfCareItems,
} from '../machines/types.js';

export const roleLabels: Record<Role, string> = {
  enumerator: '普查员',
  evaluator: '评定人员',
  reviewer: '审核人员',
  officer: '经办人',
  visitor: '回访干部',
  supervisor: '督办人员',
  admin: '管理员',
  system: '系统',
};

export const levelLabels: Record<ReviewLevel, string> = { village: '村委会', township: '乡镇', county: '县级' };

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
  resettlement_site: '易地搬迁安置点',
  mutual_aid_center: '互助幸福院',
  county_hospital: '县级医院',
  township_health_center: '乡镇卫生院',
  psychiatric_hospital: '精神病专科医院',
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

export const selfCareItemLabels: Record<(typeof selfCareItems)[number], string> = {
  eating: '进食',
  dressing: '穿衣',
  toileting: '如厕',
  bathing: '洗澡',
  indoorMobility: '室内行走',
  transferring: '床椅转移',
};

export const sexLabels: Record<'male' | 'female', string> = { male: '男', female: '女' };

export const objectionChannelLabels: Record<'paper' | 'in_person' | 'phone' | 'online', string> = {
  paper: '书面',
  in_person: '当面',
  phone: '电话',
  online: '网上',
};

export const objectionOutcomeLabels: Record<'upheld' | 'dismissed', string> = { upheld: '异议成立', dismissed: '异议不成立' };

/** Labels of the deadline keys (the step a deadline belongs to), as the overdue views name them. */
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
