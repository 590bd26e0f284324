/**
 * Response schemas of the income, dividend-reference and projection routes: what src/engine/income.ts,
 * dividendReferences.ts and projection.ts really answer. Strict, as in views.ts: a field the engine adds and the
 * document does not describe is refused by the serializer (and caught by tests/http/contract.test.ts) instead of
 * being dropped silently.
 */
import { z } from 'zod';
import { INCOME_SOURCES } from '../../domain/income.js';
import { reportTableSchema } from './reportTable.js';

/**
 * An amount of money: whole fen and the same in yuan as text with two decimals. Written out where used, not a
 * named component: OpenAPI 3.0 has no nullable $ref ({ nullable, allOf: [$ref] } states no type to be null of).
 */
const money = z.strictObject({ fen: z.number().int(), yuan: z.string().describe('yuan with two decimals, e.g. "5784.50"') });
const iso = () => z.string().describe('ISO instant (UTC)');

const incomeLine = z.strictObject({
  source: z.enum(INCOME_SOURCES),
  amountFen: z.number().int(),
  amount: z.string().describe('yuan with two decimals'),
  evidence: z.string(),
  recordedBy: z.string(),
  recordedAt: iso(),
});

export const caseIncomeView = z
  .strictObject({
    caseId: z.string(),
    caseNumber: z.string(),
    householdId: z.string(),
    villageCode: z.string(),
    year: z.number().int(),
    rowVersion: z.number().int().describe('the case’s row version: send as If-Match to PUT /cases/{id}/income/{year}'),
    lines: z.array(incomeLine),
    totals: z.strictObject({
      total: money,
      policy: money,
      dividends: money,
      careFund: money,
      members: z.number().int(),
      perPerson: money.nullable().describe('null when the household has no members'),
    }),
    dividendCheck: z
      .strictObject({
        status: z.enum(['no_reference', 'ok', 'shortfall']),
        recorded: money,
        reference: money.nullable(),
        required: money.nullable(),
        shortfall: money.nullable(),
      })
      .describe('the 120% rule: the collective dividend recorded against 120% of the village’s reference'),
  })
  .meta({ id: 'CaseIncome' });

export const dividendReferenceView = z
  .strictObject({
    villageCode: z.string(),
    year: z.number().int(),
    reference: money.nullable().describe('null: never set'),
    required: money.nullable().describe('what the 120% rule requires of a safety-net household'),
    version: z.number().int().describe('send as If-Match; 0: never set'),
    updatedBy: z.string().nullable(),
    updatedAt: z.string().nullable(),
  })
  .meta({ id: 'DividendReference' });

export const dividendReferenceList = z.strictObject({ year: z.number().int(), items: z.array(dividendReferenceView) });

const parameters = z.strictObject({
  householdsPerWorker: z.number().int(),
  monthlyWage: z.string().describe('yuan with two decimals'),
  monthlyWageFen: z.number().int(),
  citySharePercent: z.number().int(),
});

export const projectionSettingsView = z
  .strictObject({
    scope: z.string(),
    version: z.number().int().describe('send as If-Match; 0: never set'),
    own: parameters.nullable().describe('the scope’s own parameters; null when it has none'),
    inEffect: parameters,
    source: z.string().describe('the scope the parameters in effect come from, or default'),
    defaults: parameters,
    updatedBy: z.string().nullable(),
    updatedAt: z.string().nullable(),
    mayChange: z.boolean().describe('whether the caller may change this scope'),
  })
  .meta({ id: 'ProjectionSettings' });

export const projectionResult = z
  .strictObject({
    kind: z.enum(['live', 'what_if']),
    scope: z.string(),
    parameters,
    parametersSource: z.string().describe('the scope the parameters come from, default, or what_if'),
    counties: z.array(
      z.strictObject({
        countyCode: z.string(),
        county: z.string(),
        households: z.number().int(),
        workers: z.number().int(),
        wageBill: z.string(),
        wageBillFen: z.number().int(),
        countyShare: z.string(),
        countyShareFen: z.number().int(),
      }),
    ),
    totals: z.strictObject({
      households: z.number().int(),
      workers: z.number().int(),
      wageBill: z.string(),
      wageBillFen: z.number().int(),
      cityShare: z.string(),
      cityShareFen: z.number().int(),
      countiesShare: z.string(),
      countiesShareFen: z.number().int(),
    }),
    generatedAt: iso(),
    table: reportTableSchema,
  })
  .meta({ id: 'Projection' });
