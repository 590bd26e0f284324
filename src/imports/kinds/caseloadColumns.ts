/**
 * The columns of the caseload template (存量对象导入模板): one row per member, the household's columns (key,
 * village, approval, placement) on each of its rows — filled at least on the first, the same wherever repeated.
 * Headers are Chinese (what files carry); keys are the engine's field names.
 */
import {
  categoryLabels,
  disabilityTypeLabels,
  labourCapacityLabels,
  placementModeLabels,
} from '../../../machines/index.js';
import type { EnumValue, ImportColumn } from '../kind.js';

const enumOf = (labels: Record<string, string>): EnumValue[] => Object.entries(labels).map(([code, label]) => ({ code, label }));

export const sexValues: EnumValue[] = [{ code: 'male', label: '男' }, { code: 'female', label: '女' }];
export const categoryValues = enumOf(categoryLabels);
export const placementValues = enumOf(placementModeLabels);

/** Columns that describe the household, not the member: taken from the group's first row that fills them. */
export const householdColumns = [
  'villageCode', 'address', 'poorId', 'legalSupporterName', 'legalSupporterRelation', 'legalSupporterPhone', 'legalSupporterAddress',
  'approvedOn', 'legacyReference', 'placementMode', 'facilityName', 'placementStart', 'guardianName', 'appointedByTownship',
  'agreementSignedOn', 'agreementTermMonths', 'agreementSigned', 'lastRevisitDate',
] as const;

export const caseloadColumns: readonly ImportColumn[] = [
  { key: 'householdKey', header: '户编号', required: true, type: 'text', note: '同一户的成员填同一个编号（如台账户号）', example: 'SJG-001', width: 12 },
  { key: 'villageCode', header: '村（社区）区划代码', required: false, type: 'regionCode', note: '12位，每户第一行必填', example: '411282108201', width: 16 },
  { key: 'address', header: '家庭住址', required: false, type: 'text', note: '每户第一行必填', example: '灵宝市苏村乡孙家沟村3组12号', width: 28 },
  { key: 'poorId', header: '建档立卡编号', required: false, type: 'text', example: '4112821080120', width: 16 },
  { key: 'name', header: '姓名', required: true, type: 'text', example: '孙某', width: 10 },
  { key: 'idNumber', header: '身份证号码', required: true, type: 'idNumber', note: '18位，单元格格式设为“文本”', example: '411282194702100011', width: 22 },
  { key: 'birthDate', header: '出生日期', required: true, type: 'date', example: '1947-02-10', width: 12 },
  { key: 'sex', header: '性别', required: true, type: 'enum', values: sexValues, example: '男', width: 6 },
  { key: 'relation', header: '与户主关系', required: true, type: 'text', example: '户主', width: 10 },
  { key: 'labourCapacity', header: '劳动能力', required: true, type: 'enum', values: enumOf(labourCapacityLabels), example: '无劳动能力', width: 14 },
  { key: 'disabilityType', header: '残疾类别', required: false, type: 'enum', values: enumOf(disabilityTypeLabels), example: null, width: 8 },
  { key: 'disabilityGrade', header: '残疾等级', required: false, type: 'integer', note: '1（最重）到4', example: null, width: 8 },
  { key: 'seriousIllness', header: '重特大疾病', required: false, type: 'text', example: null, width: 14 },
  { key: 'severeMentalDisorder', header: '严重精神障碍', required: false, type: 'boolean', example: '否', width: 8 },
  { key: 'categories', header: '认定类别', required: false, type: 'text', note: `原审批认定的类别，多个用“、”分隔：${categoryValues.map((c) => c.label).join('、')}`, example: '贫困老年人', width: 18 },
  { key: 'approvedOn', header: '原审批日期', required: false, type: 'date', note: '每户第一行必填', example: '2019-06-10', width: 12 },
  { key: 'legacyReference', header: '原审批文号', required: false, type: 'text', note: '每户第一行必填', example: '灵民〔2019〕37号', width: 16 },
  { key: 'placementMode', header: '安置方式', required: false, type: 'enum', values: placementValues, note: '未安置的留空（纳入后为“待安置”）', example: '集中供养', width: 10 },
  { key: 'facilityName', header: '供养（救治）机构', required: false, type: 'text', note: '集中供养、集中救治填写，须与机构名录中的名称一致', example: '苏村社区集中安置点', width: 20 },
  { key: 'placementStart', header: '安置开始日期', required: false, type: 'date', example: '2019-07-01', width: 12 },
  { key: 'guardianName', header: '照料人姓名', required: false, type: 'text', note: '分散托养填写，须与照料人名录一致', example: null, width: 10 },
  { key: 'appointedByTownship', header: '乡镇指定', required: false, type: 'boolean', note: '照料人不是法定赡养人时须由乡镇指定', example: null, width: 8 },
  { key: 'agreementSignedOn', header: '协议签订日期', required: false, type: 'date', note: '分散托养的三方协议', example: null, width: 12 },
  { key: 'agreementTermMonths', header: '协议期限（月）', required: false, type: 'integer', example: null, width: 10 },
  { key: 'agreementSigned', header: '三方均已签字', required: false, type: 'boolean', example: null, width: 10 },
  { key: 'lastRevisitDate', header: '最近回访日期', required: false, type: 'date', example: '2025-12-20', width: 12 },
  { key: 'legalSupporterName', header: '法定赡养人姓名', required: false, type: 'text', example: null, width: 10 },
  { key: 'legalSupporterRelation', header: '法定赡养人关系', required: false, type: 'text', example: null, width: 10 },
  { key: 'legalSupporterPhone', header: '法定赡养人电话', required: false, type: 'phone', example: null, width: 14 },
  { key: 'legalSupporterAddress', header: '法定赡养人住址', required: false, type: 'text', example: null, width: 20 },
];
