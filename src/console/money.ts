// Money as people read it on the console's pages: 12284.00 yuan → "12,284.00 元"; and the year in China time.
import { yuanText } from '../domain/money.js';

/** "12,284.00" (thousands grouped, two decimals) from whole fen. */
export function yuanGrouped(fen: number): string {
  const [whole, frac] = yuanText(fen).split('.');
  return `${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${frac}`;
}

/** "12,284.00 元". */
export const yuan = (fen: number) => `${yuanGrouped(fen)} 元`;

/** The calendar year in China time. */
export const chinaYear = (now: Date) => new Date(now.getTime() + 8 * 3600_000).getUTCFullYear();
