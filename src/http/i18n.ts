/**
 * The language of an answer, and field problems in Chinese.
 *
 * - `preferredLanguage(acceptLanguage)`: `zh` when the Accept-Language header (RFC 9110 §12.5.4, q-values
 *   honoured) prefers any Chinese tag over English; `en` otherwise, and by default.
 * - `localizeIssue(issue)`: the zh-CN text of a VALIDATION_FAILED field problem. Our own checks may write a
 *   `messageZh` where they build the issue (checkMembers); the rest — zod's messages, written in English in the
 *   schemas or by zod itself — are translated here by pattern, with a generic fallback that quotes the English.
 *
 * Pure: no imports from the rest of the service (src/errors.ts imports this module).
 */

export type Lang = 'en' | 'zh';
export const languages: readonly Lang[] = ['en', 'zh'];

/** The Accept-Language entries, best first: `[{ tag: 'zh-cn', q: 1 }, …]`; entries with q=0 are dropped. */
export function parseAcceptLanguage(header: string | readonly string[] | undefined): { tag: string; q: number }[] {
  const text: string = typeof header === 'string' ? header : header ? header.join(',') : '';
  const entries: { tag: string; q: number; order: number }[] = [];
  text.split(',').forEach((part, order) => {
    const [rawTag, ...params] = part.split(';');
    const tag = rawTag.trim().toLowerCase();
    if (!/^(\*|[a-z]{1,8}(-[a-z0-9]{1,8})*)$/.test(tag)) return;
    let q = 1;
    for (const param of params) {
      const m = /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(param);
      if (!m) continue;
      // RFC 9110 qvalue: 0 to 1 with at most three decimals; anything else makes the entry unusable.
      q = /^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(m[1]) ? Number(m[1]) : -1;
    }
    if (q > 0) entries.push({ tag, q, order });
  });
  entries.sort((a, b) => b.q - a.q || a.order - b.order);
  return entries.map(({ tag, q }) => ({ tag, q }));
}

/** The language to answer in: the first entry (by q) that is Chinese or English; `*` and no match mean English. */
export function preferredLanguage(header: string | readonly string[] | undefined): Lang {
  for (const { tag } of parseAcceptLanguage(header)) {
    const primary = tag.split('-')[0];
    if (primary === 'zh') return 'zh';
    if (primary === 'en' || primary === '*') return 'en';
  }
  return 'en';
}

const CJK = /[\u3400-\u9fff]/;
export const hasChinese = (text: string) => CJK.test(text);

const typeNames: Record<string, string> = {
  string: '文字', number: '数字', int: '整数', boolean: '是或否', array: '列表', object: '对象', date: '日期', null: '空值',
};
const zhType = (t: string) => typeNames[t] ?? t;
const unitNames: Record<string, string> = { characters: '个字符', items: '项', entries: '项', bytes: '字节' };
const keysOf = (text: string) => text.split(/,\s*/).map((k) => k.trim().replace(/^"|"$/g, '')).join('、');

type Rule = [RegExp, (m: RegExpExecArray) => string];

/** English problem texts → Chinese, first match wins. Anchored, so a longer text is not half-translated. */
const rules: Rule[] = [
  // Written in our schemas (machines/types.ts, machines/events.ts, src/engine/surveyInput.ts, src/http/schemas).
  [/^.* must not be blank$/, () => '不能为空'],
  [/^.* may not be empty$/, () => '不能为空'],
  [/^(?:.* is )?at most (\d+) characters$/, (m) => `不能超过 ${m[1]} 个字符`],
  [/^.* is required$/, () => '必填'],
  [/^expected a date as YYYY-MM-DD$/, () => '日期格式应为 YYYY-MM-DD'],
  [/^expected a real calendar date$/, () => '日期不存在，请核对'],
  [/^expected an 18-character resident ID number/, () => '应为18位居民身份证号码（17位数字加1位数字或X）'],
  [/^expected a 12-digit region code$/, () => '应为12位行政区划代码'],
  [/^expected a 6-digit county code/, () => '应为6位县级行政区划代码，如 411282'],
  [/^expected a 9-digit township code/, () => '应为9位乡镇行政区划代码，如 411282108'],
  [/^expected 2 to 12 digits$/, () => '应为2至12位数字'],
  [/^expected a phone number$/, () => '应为电话号码'],
  [/^a household has at least one member$/, () => '每户至少有一名家庭成员'],
  [/^grade is 1 \(most severe\) to 4$/, () => '残疾等级应为1至4级（1级最重）'],
  [/^term is at least 1 month$/, () => '协议期限至少为1个月'],
  [/^the review chain needs at least one level$/, () => '审核流程至少要有一个层级'],
  [/^a level appears only once in the review chain$/, () => '审核流程中每个层级只能出现一次'],
  [/^at least one role$/, () => '至少选择一个角色'],
  [/^expected a number of days such as 7d$/, () => '应为天数，如 7d'],
  [/^expected a state name/, () => '应为案件环节名称，如 review'],
  [/^expected 3–64 lowercase letters/, () => '用户名应为3至64位小写字母、数字、点、下划线或连字符，并以字母或数字开头'],
  [/^expected global, or a province/, () => '应为 global，或省（2位）、市（4位）、县（6位）区划代码前缀，如 411282'],
  [/^expected a timer id$/, () => '应为定时任务编号'],
  [/^(\w+) is (\d+) to (\d+)$/, (m) => `应为 ${m[2]} 至 ${m[3]}`],
  // Resident ID numbers (src/domain/residentId.ts) and the household checks (src/engine/surveyInput.ts).
  [/^an ID number has 18 characters$/, () => '身份证号码应为18位'],
  [/^an ID number is 17 digits followed by a digit or X$/, () => '身份证号码应为17位数字加1位数字或X'],
  [/^the birth date inside the ID number \(digits 7-14\) is not a valid date$/, () => '身份证号码中的出生日期（第7至14位）不是有效日期'],
  [/^the check character does not match; the number was probably mistyped$/, () => '身份证号码校验位不符，可能输入有误，请核对'],
  [/^the birth date inside the ID number differs from the birth date given$/, () => '身份证号码中的出生日期与填写的出生日期不一致'],
  [/^the ID number is that of a (man|woman)$/, (m) => `身份证号码显示为${m[1] === 'man' ? '男性' : '女性'}，与填写的性别不一致`],
  [/^the same person as members\[(\d+)\]$/, (m) => `与第 ${Number(m[1]) + 1} 位家庭成员是同一人`],
  // Checks in the engine and the HTTP layer.
  [/^expected valid JSON$/, () => '提交的内容不是有效的 JSON'],
  [/^expected a JSON body/, () => '提交的内容为空，应为 JSON'],
  [/^not a known village code$/, () => '不是已登记的村级行政区划代码'],
  [/^is not your current password$/, () => '当前密码不正确'],
  [/^outside your jurisdiction (\d+)$/, (m) => `超出您的管辖范围（${m[1]}）`],
  [/^expected (\d{4}), the year in the path$/, (m) => `应为 ${m[1]}，与地址中的年份一致`],
  [/^expected the next(?:After)? of the previous page$/, () => '应为上一页返回的翻页标记'],
  [/^a reviewer needs a review level/, () => '审核人员须设置审核层级（村委会、乡镇或县级）'],
  [/^only reviewers have a review level/, () => '只有审核人员才设置审核层级'],
  [/^cannot be granted: (.+)$/, (m) => `不能授予以下角色：${keysOf(m[1])}`],
  [/^a survey cannot move the household to another village/, () => '修改普查信息不能将该户改到其他村，请在该村另行建档'],
  [/^no such facility in your jurisdiction or the case's county$/, () => '您的管辖范围及本案件所在县内没有该机构'],
  [/^no such active guardian in the county of this case$/, () => '本案件所在县内没有该在册照料人'],
  [/^(\d+) people live here: beds cannot be fewer$/, (m) => `现有 ${m[1]} 人入住，床位数不能少于入住人数`],
  [/^the guardian has (\d+) wards now: the maximum cannot be lower$/, (m) => `该照料人现照料 ${m[1]} 人，上限不能低于此数`],
  [/^(?:the field name )?contains a NUL character/, () => '含有不允许的控制字符（NUL）'],
  [/^(?:the field name )?contains a lone UTF-16 surrogate/, () => '含有无效字符'],
  [/^expected 1 to 200 characters of letters, digits/, () => '应为1至200位字母、数字或 . _ : -'],
  [/^expected .*, e\.g\. "3"$/, () => '应为所读取的版本号，如 "3"'],
  // Money (src/engine/moneyInput.ts, income.ts, projection.ts).
  [/^expected an amount in yuan/, () => '金额须为以元为单位的数字，不小于 0，最多两位小数（如 5784 或 5784.50）'],
  [/^evidence must not be blank/, () => '请填写依据（如发放花名册、分红协议编号）'],
  [/^evidence must be text$/, () => '依据应为文字'],
  [/^expected one of dibao, /, () => '收入来源无效：应为低保、特困供养金、养老保险金、临时救助、残疾人补贴、“1+1”带贫分红、集体经济分红、企业扶贫公益股或关爱基金'],
  [/^source \w+ is listed twice/, () => '每项收入来源只能填写一行'],
  [/^expected a list of lines$/, () => '应为逐项收入的列表'],
  [/^expected a year from (\d+) to (\d+)$/, (m) => `应为 ${m[1]} 至 ${m[2]} 年之间的年份`],
  [/^expected a 12-digit village code$/, () => '应为12位村级行政区划代码'],
  [/^expected global, a province \(2 digits\) or a city/, () => '应为 global，或省（2位）、市（4位）区划代码，如 4112'],
  [/^expected a whole number of households, 1 to 100$/, () => '每名护理人员照护户数应为 1 至 100 的整数'],
  [/^expected a whole percent, 0 to 100$/, () => '应为 0 至 100 的整数（百分比）'],
  [/^expected a whole number of households$/, () => '户数应为整数'],
  [/^households cannot be negative$/, () => '户数不能为负数'],
  [/^at most 10,000,000 households$/, () => '户数不能超过 10,000,000'],
  [/^county (\d{6}) is listed twice$/, (m) => `县（市、区）${m[1]} 重复填写`],
  [/^name at least one county$/, () => '请至少填写一个县（市、区）'],
  [/^county (\d{6}) is outside your jurisdiction (\d+)$/, (m) => `县（市、区）${m[1]} 不在您的管辖范围（${m[2]}）内`],
  // zod's own messages (zod 4, English locale).
  [/^Invalid input: expected \w+, received undefined$/, () => '必填'],
  [/^Required$/, () => '必填'],
  [/^Invalid input: expected (\w+), received (\w+)$/, (m) => `类型有误，应为${zhType(m[1])}`],
  [/^Invalid option: expected one of /, () => '取值无效'],
  [/^Invalid input: expected .+$/, () => '取值无效'],
  [/^Invalid discriminator value/, () => '取值无效'],
  [/^Unrecognized keys?: (.+)$/, (m) => `不允许的字段：${keysOf(m[1])}`],
  [/^Too small: expected string to have >=1 characters$/, () => '不能为空'],
  [/^Too small: expected \w+ to have (>=|>|exactly )(\d+) (\w+)$/, (m) => `${m[1] === 'exactly ' ? '应为' : '至少'} ${m[1] === '>' ? Number(m[2]) + 1 : m[2]} ${unitNames[m[3]] ?? m[3]}`],
  [/^Too big: expected \w+ to have (<=|<|exactly )(\d+) (\w+)$/, (m) => `${m[1] === 'exactly ' ? '应为' : '最多'} ${m[1] === '<' ? Number(m[2]) - 1 : m[2]} ${unitNames[m[3]] ?? m[3]}`],
  [/^Too small: expected \w+ to be (>=|>)(-?[\d.]+)$/, (m) => (m[1] === '>=' ? `不能小于 ${m[2]}` : `应大于 ${m[2]}`)],
  [/^Too big: expected \w+ to be (<=|<)(-?[\d.]+)$/, (m) => (m[1] === '<=' ? `不能大于 ${m[2]}` : `应小于 ${m[2]}`)],
  [/^Invalid ISO datetime$/, () => '时间格式有误，应为带时区的 ISO 8601 时间，如 2026-03-02T09:00:00+08:00'],
  [/^Invalid ISO date$/, () => '日期格式应为 YYYY-MM-DD'],
  [/^Invalid UUID$/, () => '编号格式有误'],
  [/^Invalid (?:email address)$/, () => '电子邮箱格式有误'],
  [/^Invalid URL$/, () => '网址格式有误'],
  [/^Invalid string: must match pattern/, () => '格式有误'],
  [/^Invalid number: must be a multiple of ([\d.]+)$/, (m) => `应为 ${m[1]} 的整数倍`],
  [/^Invalid input$/, () => '填写有误'],
  [/^is invalid$/, () => '填写有误'],
];

/** The Chinese text of one field problem (an issue, or its English message). Chinese text is kept as it is. */
export function localizeIssue(issue: { message: string; messageZh?: string } | string): string {
  if (typeof issue !== 'string' && issue.messageZh) return issue.messageZh;
  const message = (typeof issue === 'string' ? issue : issue.message).trim();
  if (hasChinese(message)) return message;
  for (const [pattern, zh] of rules) {
    const m = pattern.exec(message);
    if (m) return zh(m);
  }
  return message ? `填写有误：${message}` : '填写有误';
}
