/**
 * The five documents (文书) as drawings: each takes data the engine has already gathered and masked (no full ID
 * number ever reaches here: maskedId only, and no birth date beside it), lists the texts it will print (checked
 * against the fonts first) and draws them. Pure layout: no database, no clock.
 */
import type { Office } from './texts.js';
import type { PrintedText } from './fonts.js';
import { CONTENT_WIDTH, type Pdf } from './pdf.js';

export interface Person {
  name: string;
  /** Masked as every response masks it (411282**********34). */
  maskedId: string;
  sex: string;
  /** Whole years on the document's date (never the birth date: with the mask it would give the number away). */
  age: number | null;
}

export interface PublicityListData {
  county: string;
  township: string;
  village: string;
  rows: Array<{ caseNumber: string; name: string; maskedId: string; sex: string; categories: string[]; mode: string; periodStart: string; periodEnd: string }>;
  periodStart: string;
  periodEnd: string;
  objectTo: Office;
  issuer: string;
  date: string;
}

export interface RefusalNoticeData {
  caseNumber: string;
  applicant: Person;
  address: string;
  village: string;
  appliedOn: string;
  rejectedOn: string;
  level: string;
  reason: string;
  rights: string;
  issuer: string;
  date: string;
}

export interface CareAgreementData {
  caseNumber: string;
  village: string;
  committee: string;
  beneficiary: Person;
  address: string;
  guardian: { name: string; kind: string; phone: string };
  startDate: string;
  termMonths: number;
  endDate: string;
  signedOn: string;
  guardianDuties: string[];
  committeeDuties: string[];
  issuer: string;
  date: string;
}

export interface RevisitFormData {
  caseNumber: string;
  village: string;
  beneficiary: Person;
  address: string;
  mode: string;
  /** The carer: guardian or facility. */
  carer: string;
  /** Null: a blank form for paper use. */
  visit: { date: string; visitor: string; livingConditions: string; health: string; problems: string; reassessmentNeeded: boolean } | null;
  issuer: string;
  date: string;
}

export interface ExitNoticeData {
  caseNumber: string;
  village: string;
  township: string;
  beneficiary: Person;
  mode: string;
  reason: string;
  reasonText: string | null;
  exitDate: string;
  noticeEnds: string | null;
  closing: string;
  issuer: string;
  date: string;
}

const person = (p: Person, role: string): PrintedText[] => [{ text: p.name, field: `${role}姓名`, person: p.name }];

export const printedTexts = {
  publicity_list: (d: PublicityListData): PrintedText[] => [
    ...d.rows.map((r) => ({ text: r.name, field: '姓名', person: r.name })),
    ...[d.county, d.township, d.village].map((t) => ({ text: t, field: '地名' })),
    ...Object.entries(d.objectTo).map(([k, v]) => ({ text: v, field: `异议受理${k === 'office' ? '单位' : k === 'address' ? '地址' : '电话'}` })),
    { text: d.issuer, field: '出具机关' },
  ],
  refusal_notice: (d: RefusalNoticeData): PrintedText[] => [
    ...person(d.applicant, '申请人'),
    { text: d.address, field: '住址', person: d.applicant.name },
    { text: d.reason, field: '不予认定理由', person: d.applicant.name },
    { text: d.rights, field: '权利告知' },
    { text: d.village, field: '地名' },
    { text: d.issuer, field: '出具机关' },
  ],
  care_agreement: (d: CareAgreementData): PrintedText[] => [
    ...person(d.beneficiary, '受托人'),
    { text: d.guardian.name, field: '监护人姓名', person: d.guardian.name },
    { text: d.guardian.phone, field: '监护人电话', person: d.guardian.name },
    { text: d.address, field: '住址', person: d.beneficiary.name },
    { text: d.committee, field: '村民委员会' },
    ...d.guardianDuties.map((t) => ({ text: t, field: '监护人职责' })),
    ...d.committeeDuties.map((t) => ({ text: t, field: '村民委员会职责' })),
    { text: d.issuer, field: '出具机关' },
  ],
  revisit_form: (d: RevisitFormData): PrintedText[] => [
    ...person(d.beneficiary, '回访对象'),
    { text: d.address, field: '住址', person: d.beneficiary.name },
    { text: d.carer, field: '照护人 / 机构' },
    { text: d.village, field: '地名' },
    ...(d.visit
      ? [
          { text: d.visit.visitor, field: '回访人', person: d.visit.visitor },
          { text: d.visit.livingConditions, field: '生活状况', person: d.beneficiary.name },
          { text: d.visit.health, field: '健康状况', person: d.beneficiary.name },
          { text: d.visit.problems, field: '发现的问题', person: d.beneficiary.name },
        ]
      : []),
    { text: d.issuer, field: '出具机关' },
  ],
  exit_notice: (d: ExitNoticeData): PrintedText[] => [
    ...person(d.beneficiary, '退出对象'),
    { text: d.reasonText ?? '', field: '退出原因说明', person: d.beneficiary.name },
    { text: d.closing, field: '公告说明' },
    { text: d.village, field: '地名' },
    { text: d.issuer, field: '出具机关' },
  ],
};

export function drawPublicityList(pdf: Pdf, d: PublicityListData): void {
  pdf.heading(`${d.village}兜底保障对象认定公示`);
  pdf.para(
    `根据兜底保障工作程序，经本人申请（入户普查）、乡镇评定、逐级审核，拟将以下人员认定为兜底保障对象，现予公示。公示期：${d.periodStart} 至 ${d.periodEnd}。`,
  );
  pdf.para(`${d.county} ${d.township} ${d.village}`, { size: 10 });
  pdf.doc.moveDown(0.4);
  const samePeriod = d.rows.every((r) => r.periodStart === d.periodStart && r.periodEnd === d.periodEnd);
  const columns = [
    { header: '序号', width: 28 },
    { header: '姓名', width: 52 },
    { header: '性别', width: 28 },
    { header: '身份证号码（部分隐藏）', width: 104 },
    { header: '保障类别', width: 92 },
    { header: '拟安置方式', width: 62 },
    { header: samePeriod ? '案件编号' : '案件编号 / 公示期', width: CONTENT_WIDTH - 366 },
  ];
  pdf.table(
    columns,
    d.rows.map((r, i) => [String(i + 1), r.name, r.sex, r.maskedId, r.categories.join('\n'), r.mode, samePeriod ? r.caseNumber : `${r.caseNumber}\n${r.periodStart} 至 ${r.periodEnd}`]),
  );
  pdf.para('异议的提出：任何单位和个人对公示对象有异议的，请于公示期内以书面、当面或电话方式向下列单位反映，也可扫描本页下方二维码在线提出。反映情况应实事求是，受理单位对反映人信息予以保密。');
  pdf.field('受理单位', d.objectTo.office);
  pdf.field('地址', d.objectTo.address);
  pdf.field('电话', d.objectTo.telephone);
  pdf.seal(d.issuer, d.date);
}

function personFields(pdf: Pdf, p: Person, role: string) {
  pdf.field(`${role}姓名`, p.name);
  pdf.field('性别', p.sex);
  if (p.age !== null) pdf.field('年龄', `${p.age} 岁`);
  pdf.field('身份证号码', p.maskedId);
}

export function drawRefusalNotice(pdf: Pdf, d: RefusalNoticeData): void {
  pdf.heading('兜底保障不予认定通知书');
  pdf.para(`案件编号：${d.caseNumber}`, { size: 10, align: 'right' });
  pdf.para(`${d.applicant.name}：`);
  pdf.para(
    `你户于 ${d.appliedOn} 提出的兜底保障申请，经入户调查、评定和审核，于 ${d.rejectedOn} 经${d.level}审核决定不予认定为兜底保障对象。`,
    { indent: 22 },
  );
  pdf.para(`理由：${d.reason}`, { indent: 22 });
  pdf.para(d.rights, { indent: 22 });
  pdf.para('特此通知。', { indent: 22 });
  pdf.doc.moveDown(0.6);
  personFields(pdf, d.applicant, '申请人');
  pdf.field('住址', `${d.village} ${d.address}`);
  pdf.seal(d.issuer, d.date);
  pdf.doc.moveDown(1);
  pdf.para('送达回证：本人已收到本通知书。　　收件人签字：______________　　日期：______年____月____日', { size: 10 });
}

export function drawCareAgreement(pdf: Pdf, d: CareAgreementData): void {
  pdf.heading('兜底保障分散托养三方协议');
  pdf.para(`案件编号：${d.caseNumber}`, { size: 10, align: 'right' });
  pdf.field('甲方（村民委员会）', d.committee);
  pdf.field('乙方（监护人）', `${d.guardian.name}（${d.guardian.kind}）　电话：${d.guardian.phone || '—'}`);
  pdf.field('丙方（受托人）', `${d.beneficiary.name}　${d.beneficiary.sex}　${d.beneficiary.age ?? '—'} 岁　身份证号码：${d.beneficiary.maskedId}`);
  pdf.field('丙方住址', `${d.village} ${d.address}`);
  pdf.doc.moveDown(0.4);
  pdf.para('为保障丙方基本生活，经三方协商，由乙方对丙方实行分散托养，订立本协议。');
  pdf.para(`一、托养期限：自 ${d.startDate} 起，期限 ${d.termMonths} 个月，至 ${d.endDate} 止；期满经三方同意可续签。`);
  pdf.para('二、乙方（监护人）职责：');
  d.guardianDuties.forEach((t, i) => pdf.para(`${i + 1}. ${t}`, { indent: 22 }));
  pdf.para('三、甲方（村民委员会）职责：');
  d.committeeDuties.forEach((t, i) => pdf.para(`${i + 1}. ${t}`, { indent: 22 }));
  pdf.para('四、乙方不履行职责的，甲方报乡镇人民政府另行指定监护人，本协议终止。');
  pdf.para('五、本协议一式四份，三方各执一份，乡镇人民政府备案一份，自三方签字之日起生效。');
  pdf.signatures(['甲方（村民委员会）', '乙方（监护人）', '丙方（受托人或其代理人）']);
  pdf.seal(d.issuer, `协议签订日期：${d.signedOn}`);
}

export function drawRevisitForm(pdf: Pdf, d: RevisitFormData): void {
  pdf.heading('兜底保障对象回访记录表');
  pdf.para(`案件编号：${d.caseNumber}　　${d.visit ? '（据系统登记的回访记录打印）' : '（空白表，供纸质填写后录入系统）'}`, { size: 10, align: 'right' });
  personFields(pdf, d.beneficiary, '回访对象');
  pdf.field('住址', `${d.village} ${d.address}`);
  pdf.field('安置方式', d.mode);
  pdf.field('照护人 / 机构', d.carer);
  pdf.doc.moveDown(0.4);
  const v = d.visit;
  const blank = '\n\n';
  pdf.table(
    [
      { header: '项目', width: 110 },
      { header: '内容', width: CONTENT_WIDTH - 110 },
    ],
    [
      ['回访日期', v ? v.date : '        年      月      日'],
      ['回访人', v ? v.visitor : ''],
      ['生活状况（吃、穿、住、卫生）', v ? v.livingConditions : blank],
      ['健康状况（病情、服药、就医）', v ? v.health : blank],
      ['发现的问题及处理', v ? v.problems || '无' : blank],
      ['是否需要重新评定', v ? (v.reassessmentNeeded ? '是' : '否') : '□ 是　　□ 否'],
    ],
    11,
  );
  pdf.signatures(['回访人', '受访人（或照护人）']);
  pdf.seal(d.issuer, d.date);
}

export function drawExitNotice(pdf: Pdf, d: ExitNoticeData): void {
  pdf.heading(`${d.village}兜底保障对象退出公告`);
  pdf.para(`案件编号：${d.caseNumber}`, { size: 10, align: 'right' });
  pdf.para(
    `经核实，${d.village}兜底保障对象 ${d.beneficiary.name}（${d.beneficiary.sex}，身份证号码 ${d.beneficiary.maskedId}，原安置方式：${d.mode}）因${d.reason}${d.reasonText ? `（${d.reasonText}）` : ''}，自 ${d.exitDate} 起退出兜底保障。`,
    { indent: 22 },
  );
  if (d.noticeEnds) pdf.para(`公告期：${d.exitDate} 至 ${d.noticeEnds}。`, { indent: 22 });
  pdf.para(d.closing, { indent: 22 });
  pdf.para('特此公告。', { indent: 22 });
  pdf.seal(d.issuer, d.date);
}
