/**
 * Care staffing and funding projection (护理人员与资金测算). Pure.
 *
 * - Care workers per county = households ÷ householdsPerWorker, rounded up per county (a county with 5 households
 *   and 4 per worker needs 2 workers: a worker is not shared across counties).
 * - The wage bill = workers × monthly wage × 12, in whole fen.
 * - The city pays citySharePercent of the whole bill (rounded half up to fen); the counties pay the rest, split in
 *   proportion to their caseloads (households), by largest remainder in whole fen, so the counties' shares add up
 *   to exactly what the city does not pay and city + counties = the bill, to the fen.
 *
 * Test vector (domain.md): 12,000 households → 3,000 workers → 144,000,000 yuan a year; city 57,600,000 (40%),
 * counties 86,400,000.
 */
import { splitByWeight } from './money.js';

export interface ProjectionParameters {
  /** Households one care worker looks after (default 4). */
  householdsPerWorker: number;
  /** A care worker's wage per month, in fen (default 4,000 yuan). */
  monthlyWageFen: number;
  /** The city's share of the wage bill, in whole percent (default 40). */
  citySharePercent: number;
}

export const defaultProjectionParameters: ProjectionParameters = { householdsPerWorker: 4, monthlyWageFen: 400_000, citySharePercent: 40 };

export interface CountyCaseload {
  countyCode: string;
  households: number;
}

export interface CountyProjection extends CountyCaseload {
  workers: number;
  /** This county's workers × wage × 12. */
  wageBillFen: number;
  /** The county's part of the counties' share, by caseload. */
  countyShareFen: number;
}

export interface Projection {
  parameters: ProjectionParameters;
  counties: CountyProjection[];
  households: number;
  workers: number;
  wageBillFen: number;
  cityShareFen: number;
  countiesShareFen: number;
}

export function project(caseloads: readonly CountyCaseload[], parameters: ProjectionParameters): Projection {
  const perYear = parameters.monthlyWageFen * 12;
  const rows = caseloads.map((c) => {
    const workers = Math.ceil(c.households / parameters.householdsPerWorker);
    return { ...c, workers, wageBillFen: workers * perYear };
  });
  const wageBillFen = rows.reduce((s, r) => s + r.wageBillFen, 0);
  // Half up, in BigInt: bill × percent may exceed 2^53 for a province-sized what-if.
  const cityShareFen = Number((BigInt(wageBillFen) * BigInt(parameters.citySharePercent) * 2n + 100n) / 200n);
  const countiesShareFen = wageBillFen - cityShareFen;
  const shares = splitByWeight(countiesShareFen, rows.map((r) => r.households));
  return {
    parameters,
    counties: rows.map((r, i) => ({ ...r, countyShareFen: shares[i] })),
    households: rows.reduce((s, r) => s + r.households, 0),
    workers: rows.reduce((s, r) => s + r.workers, 0),
    wageBillFen,
    cityShareFen,
    countiesShareFen,
  };
}
