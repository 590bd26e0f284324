/**
 * The survey import's template (入户普查导入模板): one row per household member, the household's own columns
 * repeated on its rows (or filled on its first row only), grouped by 户编号 — any text the survey team uses to
 * tell households apart within the file. Pure data.
 */
import { disabilityTypes, labourCapacities } from '../../../machines/index.js';
import { disabilityTypeLabels, labourCapacityLabels } from '../../labels.js';
import { yesNo } from '../../imports/cells.js';
import type { EnumValue, ImportColumn } from '../../imports/kind.js';

const enumOf = <K extends string>(codes: readonly K[], labels: Record<K, string>): EnumValue[] => codes.map((code) => ({ code, label: labels[code] }));

export const sexValues: EnumValue[] = [
  { code: 'male', label: '男' },
  { code: 'female', label: '女' },
];
export const labourValues = enumOf(labourCapacities, labourCapacityLabels);
export const disabilityValues = enumOf(disabilityTypes, disabilityTypeLabels);

export const surveyColumns: readonly ImportColumn[] = [
  { key: 'householdKey', header: '户编号', required: true, type: 'text', note: '同一户的成员填同一个户编号（文件内区分各户即可，如 1、2、3）', example: '1', width: 8 },
  { key: 'villageCode', header: '村代码', required: true, type: 'regionCode', note: '12位村级行政区划代码；同户各行相同，可只在第一行填写', example: '411282100201', width: 15 },
  { key: 'address', header: '家庭住址', required: true, type: 'text', note: '同户各行相同，可只在第一行填写', example: '孙家沟村3组12号', width: 22 },
  { key: 'poorId', header: '建档立卡编号', required: false, type: 'text', example: null, width: 14 },
  { key: 'name', header: '姓名', required: true, type: 'text', example: '张大山', width: 10 },
  { key: 'idNumber', header: '身份证号码', required: true, type: 'idNumber', note: '18位，单元格格式必须为“文本”，否则 Excel 会丢失后几位', example: '411282195203150013', width: 21 },
  { key: 'birthDate', header: '出生日期', required: true, type: 'date', note: '如 1952-03-15、1952/3/15 或 1952年3月15日，须与身份证号码一致', example: '1952-03-15', width: 12 },
  { key: 'sex', header: '性别', required: true, type: 'enum', values: sexValues, example: '男', width: 6 },
  { key: 'relation', header: '与户主关系', required: true, type: 'text', note: '户主、配偶、子、女、孙子女等', example: '户主', width: 10 },
  { key: 'labourCapacity', header: '劳动能力', required: true, type: 'enum', values: labourValues, example: '无劳动能力', width: 16 },
  { key: 'disabilityType', header: '残疾类别', required: false, type: 'enum', values: disabilityValues, example: null, width: 9 },
  { key: 'disabilityGrade', header: '残疾等级', required: false, type: 'integer', note: '1–4级，1级最重；填了残疾类别就须填等级', example: null, width: 8 },
  { key: 'seriousIllness', header: '重特大疾病', required: false, type: 'text', note: '诊断名称，没有则留空', example: null, width: 14 },
  { key: 'severeMentalDisorder', header: '严重精神障碍', required: false, type: 'boolean', values: yesNo, note: '是/否，留空为否', example: '否', width: 8 },
  { key: 'supporterName', header: '法定赡养人姓名', required: false, type: 'text', note: '有法定赡养人时填写以下四列（同户只填一次）', example: null, width: 12 },
  { key: 'supporterRelation', header: '法定赡养人关系', required: false, type: 'text', example: null, width: 10 },
  { key: 'supporterPhone', header: '法定赡养人电话', required: false, type: 'phone', example: null, width: 14 },
  { key: 'supporterAddress', header: '法定赡养人住址', required: false, type: 'text', example: null, width: 20 },
];

/** The member field of the API's input (surveyInput.ts) → the column it came from, to place the API's issues. */
export const memberFieldColumn: Record<string, string> = {
  name: 'name',
  idNumber: 'idNumber',
  birthDate: 'birthDate',
  sex: 'sex',
  relation: 'relation',
  labourCapacity: 'labourCapacity',
  disabilities: 'disabilityType',
  seriousIllness: 'seriousIllness',
  severeMentalDisorder: 'severeMentalDisorder',
};

export const householdFieldColumn: Record<string, string> = {
  villageCode: 'villageCode',
  address: 'address',
  poorId: 'poorId',
  name: 'supporterName',
  relation: 'supporterRelation',
  phone: 'supporterPhone',
};
