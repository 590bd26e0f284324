/**
 * What a person reads when something is refused: the error catalogue's zh-CN message for the code, with the
 * field problems of a VALIDATION_FAILED beside the fields they belong to. The API gives the same words to a
 * client that asks for zh (Accept-Language): both come from src/errors.ts.
 */
import type { FieldIssue } from '../errors.js';
import { localizedError, toAppError } from '../http/errorHandler.js';

export interface ShownError {
  code: string;
  status: number;
  message: string;
  /** Field problems by the form field's name (body.members[0].idNumber → members[0].idNumber). */
  fields: Record<string, string>;
  /** The case changed under the page (VERSION_CONFLICT): offer a reload. */
  stale: boolean;
}

/** What a form field is called on the page, for messages that list field problems. */
const FIELD_LABELS: Record<string, string> = {
  reason: '理由', comment: '审核意见', conclusion: '评定结论', noticeNumber: '通知书编号', servedOn: '送达日期',
  objectionId: '异议', lodgedBy: '异议人', channel: '方式', content: '异议内容', outcome: '处理结果',
  mode: '安置方式', startDate: '开始日期', facilityId: '安置机构', guardianId: '托养人', reasonNotLegalSupporter: '未由法定赡养人托养的理由',
  'agreement.signedOn': '协议签订日期', 'agreement.startDate': '协议开始日期', 'agreement.termMonths': '协议期限',
  date: '日期', livingConditions: '生活情况', health: '健康状况', problems: '存在问题', text: '说明',
  'assessment.memberId': '评定对象', 'assessment.categories': '认定类别', 'assessment.labourCapacity': '劳动能力', 'assessment.evidence': '证明材料', 'assessment.note': '备注',
  username: '用户名', password: '密码', currentPassword: '当前密码', newPassword: '新密码', confirmPassword: '确认新密码',
  villageCode: '村', address: '地址', poorId: '建档立卡编号',
  name: '姓名', idNumber: '身份证号', birthDate: '出生日期', sex: '性别', relation: '与户主关系', labourCapacity: '劳动能力',
  year: '年度', region: '地区', from: '起始月份', to: '截止月份',
};

/** `members[0].idNumber` → 第1位成员 身份证号; a known field by its label; else the name as it is. */
export function fieldLabel(name: string): string {
  if (name === '(form)') return '表单';
  if (FIELD_LABELS[name]) return FIELD_LABELS[name];
  const member = /^(?:household\.)?members\[(\d+)\]\.(.+)$/.exec(name);
  if (member) return `第${Number(member[1]) + 1}位成员 ${FIELD_LABELS[member[2]] ?? member[2]}`;
  const last = name.split('.').at(-1) ?? name;
  return FIELD_LABELS[last] ?? name;
}

export function shownError(thrown: unknown, requestId: string): ShownError {
  const err = toAppError(thrown);
  const zh = localizedError(err, 'zh', requestId);
  const fields: Record<string, string> = {};
  if (zh.code === 'VALIDATION_FAILED') {
    for (const issue of (zh.details as FieldIssue[] | undefined) ?? []) {
      // Names as the form has them: body.members[0].idNumber → members[0].idNumber.
      const name = issue.path.replace(/^(body|query)\.?/, '') || '(form)';
      fields[name] = fields[name] ? `${fields[name]}；${issue.message}` : issue.message;
    }
  }
  return { code: zh.code, status: err.statusCode, message: zh.message, fields, stale: zh.code === 'VERSION_CONFLICT' };
}
