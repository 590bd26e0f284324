/**
 * Chinese words for the refusals of the survey and revisit forms. The engine's schemas and checks (the same
 * as the API's) say what is wrong in English; a person reads it in Chinese next to the field. Only wording is
 * decided here: which input is wrong is always the engine's answer.
 */
import type { ShownError } from './messages.js';

const HAN = /[\u4e00-\u9fff]/;

/** Known messages of src/domain/residentId.ts and checkMembers (src/engine/surveyInput.ts). */
const KNOWN: [RegExp, (m: RegExpMatchArray) => string][] = [
  [/an ID number has 18 characters|18-character resident ID number/, () => '身份证号应为 18 位（17 位数字加 1 位数字或 X）'],
  [/17 digits followed by a digit or X/, () => '身份证号应为 17 位数字加 1 位数字或 X'],
  [/birth date inside the ID number \(digits 7-14\) is not a valid date/, () => '身份证号中的出生日期（第 7～14 位）不是有效日期'],
  [/check character does not match/, () => '身份证号校验位不正确，号码可能输错了'],
  [/birth date inside the ID number differs/, () => '出生日期与身份证号中的出生日期不一致'],
  [/the same person as members\[(\d+)\]/, (m) => `与第 ${Number(m[1]) + 1} 名成员是同一人（身份证号重复）`],
  [/the ID number is that of a (man|woman)/, (m) => `身份证号显示为${m[1] === 'man' ? '男' : '女'}性，与所选性别不一致`],
];

/** What a field needs, by its name with the row numbers taken out (members[].name). */
const BY_FIELD: Record<string, string> = {
  '(form)': '表单内容有误',
  villageCode: '请选择村',
  address: '请填写家庭住址（最多 200 字）',
  poorId: '建档立卡号最多 40 个字符',
  legalSupporter: '法定赡养人信息有误',
  'legalSupporter.name': '填写法定赡养人时，请填写姓名（最多 50 字）',
  'legalSupporter.relation': '请填写与赡养人的关系（最多 20 字）',
  'legalSupporter.phone': '请填写有效的电话号码（5～20 位数字）',
  'legalSupporter.address': '请填写赡养人住址（最多 200 字）',
  members: '至少填写 1 名家庭成员（最多 30 名）',
  'members[].name': '请填写姓名（最多 50 字）',
  'members[].idNumber': '请填写 18 位身份证号',
  'members[].birthDate': '请填写有效的出生日期',
  'members[].sex': '请选择性别',
  'members[].relation': '请选择与户主关系',
  'members[].labourCapacity': '请选择劳动能力',
  'members[].disabilities': '最多填写 6 项残疾',
  'members[].disabilities[].type': '请选择残疾类别',
  'members[].disabilities[].grade': '请选择残疾等级（1～4 级）',
  'members[].seriousIllness': '重特大疾病最多 200 字',
  'members[].selfCare': '生活自理能力填写有误',
  date: '请填写有效的回访日期',
  livingConditions: '请填写生活状况（最多 4000 字）',
  health: '请填写健康状况（最多 4000 字）',
  problems: '存在问题最多 4000 字',
  reassessmentNeeded: '请选择是否需要复核',
};

const generic = (name: string) => name.replace(/\[\d+\]/g, '[]');

export function zhField(name: string, message: string): string {
  if (HAN.test(message)) return message;
  for (const [re, say] of KNOWN) {
    const m = message.match(re);
    if (m) return say(m);
  }
  return BY_FIELD[generic(name)] ?? '此项填写有误';
}

const BY_CODE: Record<string, string> = {
  VALIDATION_FAILED: '填写内容需要更正，请查看标出的项目后再提交。',
  VERSION_CONFLICT: '该案件刚被其他人修改过，请重新加载本页后再操作。',
  PRECONDITION_REQUIRED: '请重新加载本页后再操作。',
  DUPLICATE_RESIDENT: '该户有成员已在另一个未结案件中，不能重复建档。',
  IDEMPOTENCY_KEY_REUSED: '这张表单已经提交过。如要登记另一户，请重新打开“入户普查”。',
  EVENT_NOT_ALLOWED: '该案件当前所处环节不能进行此操作，请重新加载本页。',
  GUARD_FAILED: '不符合办理条件，未能保存。',
  FORBIDDEN: '您没有进行此操作的权限。',
  NOT_FOUND: '找不到该案件，或该案件不在您的管辖范围内。',
  CASE_NOT_FOUND: '找不到该案件，或该案件不在您的管辖范围内。',
};

/** The shown error in Chinese: the message, and each field's message. */
export function zhShown(shown: ShownError): ShownError {
  const fields = Object.fromEntries(
    Object.entries(shown.fields).map(([name, message]) => [name, message.split('；').map((m) => zhField(name, m)).filter((m, i, all) => all.indexOf(m) === i).join('；')]),
  );
  const message = HAN.test(shown.message) && shown.code !== 'VALIDATION_FAILED' ? shown.message : (BY_CODE[shown.code] ?? '未能完成操作，请稍后再试。');
  return { ...shown, message, fields };
}
