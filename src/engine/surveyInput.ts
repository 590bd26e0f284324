/**
 * The household survey (入户普查) as a client sends it: the household and its members with names and
 * resident ID numbers. Validated here once (shape by zod, then GB 11643 per member), converted to table rows
 * for storage and to the identity-free facts the case machine reads.
 */
import { z } from 'zod';
import {
  disabilitySchema,
  isoDate,
  labourCapacities,
  nonBlank,
  regionCode,
  selfCareSchema,
  type HouseholdFacts,
} from '../../machines/index.js';
import { validateResidentId } from '../domain/residentId.js';
import { errors, type FieldIssue } from '../errors.js';

export const memberInputSchema = z.strictObject({
  name: nonBlank('name').pipe(z.string().max(50, 'name is at most 50 characters')),
  idNumber: z.string().regex(/^\d{17}[\dXx]$/, 'expected an 18-character resident ID number (17 digits and a digit or X)'),
  birthDate: isoDate,
  sex: z.enum(['male', 'female']),
  /** Relation to the head of household (与户主关系): 户主, 配偶, 子, 女, 孙子女, ... */
  relation: nonBlank('relation').pipe(z.string().max(20)),
  labourCapacity: z.enum(labourCapacities),
  disabilities: z.array(disabilitySchema).max(6).default([]),
  seriousIllness: z.string().trim().min(1).max(200).nullable().default(null),
  severeMentalDisorder: z.boolean().default(false),
  selfCare: selfCareSchema.nullable().default(null),
});
export type MemberInput = z.infer<typeof memberInputSchema>;

export const legalSupporterSchema = z.strictObject({
  name: nonBlank('legalSupporter.name').pipe(z.string().max(50)),
  relation: nonBlank('legalSupporter.relation').pipe(z.string().max(20)),
  phone: z.string().trim().regex(/^[0-9+\- ]{5,20}$/, 'expected a phone number'),
  address: nonBlank('legalSupporter.address').pipe(z.string().max(200)),
});

export const householdInputSchema = z.strictObject({
  villageCode: regionCode,
  address: nonBlank('address').pipe(z.string().max(200)),
  /** 建档立卡 registered-poor number, when the household has one. */
  poorId: z.string().trim().min(1).max(40).nullable().default(null),
  legalSupporter: legalSupporterSchema.nullable().default(null),
  members: z.array(memberInputSchema).min(1, 'a household has at least one member').max(30),
});
export type HouseholdInput = z.infer<typeof householdInputSchema>;

/**
 * The checks zod cannot express: each ID number's check character, its birth date against the member's,
 * its sex digit against the member's sex, and no person twice in one household. All problems at once.
 */
export function checkMembers(input: HouseholdInput, path = 'body'): HouseholdInput {
  const issues: FieldIssue[] = [];
  const seen = new Map<string, number>();
  input.members.forEach((m, i) => {
    const at = `${path}.members[${i}]`;
    m.idNumber = m.idNumber.toUpperCase();
    const r = validateResidentId(m.idNumber, m.birthDate);
    if (!r.ok) issues.push({ path: `${at}.idNumber`, message: r.reason, messageZh: r.reasonZh });
    else if (r.sex !== m.sex) {
      issues.push({
        path: `${at}.sex`,
        message: `the ID number is that of a ${r.sex === 'male' ? 'man' : 'woman'}`,
        messageZh: `身份证号码显示为${r.sex === 'male' ? '男性' : '女性'}，与填写的性别不一致`,
      });
    }
    const first = seen.get(m.idNumber);
    if (first !== undefined) issues.push({ path: `${at}.idNumber`, message: `the same person as members[${first}]`, messageZh: `与第 ${first + 1} 位家庭成员是同一人` });
    else seen.set(m.idNumber, i);
  });
  if (issues.length > 0) throw errors.validationFailed(issues);
  return input;
}

/** What the machine sees: facts only, members keyed by their stored ids. */
export function householdFacts(input: HouseholdInput, memberIds: string[]): HouseholdFacts {
  return {
    villageCode: input.villageCode,
    hasLegalSupporter: input.legalSupporter !== null,
    members: input.members.map((m, i) => ({
      id: memberIds[i],
      birthDate: m.birthDate,
      labourCapacity: m.labourCapacity,
      disabilities: m.disabilities,
      seriousIllness: m.seriousIllness,
      severeMentalDisorder: m.severeMentalDisorder,
      selfCare: m.selfCare,
    })),
  };
}
