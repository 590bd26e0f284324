/**
 * Money (钱) as integer fen (分, 1/100 yuan): amounts are stored, summed and compared as whole fen — never as
 * floating-point yuan — and turned into yuan text only for display. Pure.
 */

/** Yuan as typed: a whole number or one with one or two decimals ("5784", "5784.5", "5784.50"; a JSON number too). */
const YUAN_RE = /^(\d{1,12})(?:\.(\d{1,2}))?$/;

/** 1,000,000,000 yuan: far above any household's yearly income or a city's wage bill; anything larger is a typo. */
export const MAX_FEN = 100_000_000_000;

/**
 * Fen from yuan written as text or as a JSON number, exactly (the digits are read, nothing is multiplied in floating
 * point); null when it is not a non-negative amount with at most two decimals.
 */
export function fenOfYuan(value: unknown): number | null {
  const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : typeof value === 'string' ? value.trim() : '';
  const m = YUAN_RE.exec(text);
  if (!m) return null;
  const fen = Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
  return fen <= MAX_FEN ? fen : null;
}

/** Yuan with two decimals, as text: 1228400 → "12284.00" (no grouping: for APIs and form fields). */
export function yuanText(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** Yuan as a number for a ReportTable 'money' cell (two decimals at most; display rounds to them). */
export const yuanNumber = (fen: number): number => Math.round(fen) / 100;

/** a ÷ b rounded half up to whole fen (a, b ≥ 0, b > 0): a household's total per person. */
export function divideRounded(a: number, b: number): number {
  return Math.floor((2 * a + b) / (2 * b));
}

/**
 * Splits `total` fen over `weights` in proportion, in whole fen that add up to exactly `total` (largest remainder:
 * each share is floored, and the fen left over go one each to the largest fractional parts; ties to the earlier
 * entry). All weights 0: split evenly the same way. BigInt inside, so total × weight never loses a digit.
 */
export function splitByWeight(total: number, weights: readonly number[]): number[] {
  if (weights.length === 0) return [];
  const w = (weights.every((x) => x === 0) ? weights.map(() => 1) : weights).map(BigInt);
  const sum = w.reduce((s, x) => s + x, 0n);
  const t = BigInt(total);
  const shares = w.map((x) => (t * x) / sum);
  let left = t - shares.reduce((s, x) => s + x, 0n);
  const order = w.map((x, i) => ({ i, rem: (t * x) % sum })).sort((a, b) => (b.rem > a.rem ? 1 : b.rem < a.rem ? -1 : a.i - b.i));
  for (const { i } of order) {
    if (left <= 0n) break;
    shares[i] += 1n;
    left -= 1n;
  }
  return shares.map(Number);
}
