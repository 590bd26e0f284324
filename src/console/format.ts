/**
 * How the console writes times, dates and deadlines for people in China: China time (UTC+8), dates as
 * people write them (2026年3月2日), and a step's deadline as working days left or days overdue. Pure.
 */
import { chinaDateOf, type WorkingCalendar } from '../time/calendar.js';

const CHINA_OFFSET = 8 * 3600_000;

function parts(at: Date | string) {
  const d = new Date(new Date(at).getTime() + CHINA_OFFSET);
  return { y: d.getUTCFullYear(), m: d.getUTCMonth() + 1, d: d.getUTCDate(), hh: d.getUTCHours(), mm: d.getUTCMinutes() };
}

const two = (n: number) => String(n).padStart(2, '0');

/** 2026年3月2日 (for an instant: its China date; for YYYY-MM-DD: that date). */
export function date(value: Date | string | null | undefined): string {
  if (!value) return '';
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const [y, m, d] = value.split('-').map(Number);
    return `${y}年${m}月${d}日`;
  }
  const p = parts(value);
  return `${p.y}年${p.m}月${p.d}日`;
}

/** 2026年3月2日 09:05 (China time). */
export function dateTime(value: Date | string | null | undefined): string {
  if (!value) return '';
  const p = parts(value);
  return `${p.y}年${p.m}月${p.d}日 ${two(p.hh)}:${two(p.mm)}`;
}

/** The China date of an instant as YYYY-MM-DD, for date inputs. */
export function isoChinaDate(value: Date | string): string {
  return chinaDateOf(new Date(value));
}

export interface DeadlineBadge {
  text: string;
  /** 'overdue' | 'soon' (≤ 2 working days) | 'ok': the badge's colour. */
  tone: 'overdue' | 'soon' | 'ok';
}

/**
 * 剩余 N 个工作日 while the deadline is ahead, 今日到期 on its last day, 已超期 N 天 (calendar days) after it.
 * A deadline is the start of the day after the last working day (src/time/calendar.ts), so "working days
 * left" counts the working days from today up to that last day, today included.
 */
export function deadlineBadge(deadlineAt: Date | string | null | undefined, now: Date, calendar: WorkingCalendar): DeadlineBadge | null {
  if (!deadlineAt) return null;
  const due = new Date(deadlineAt);
  if (due.getTime() <= now.getTime()) {
    const days = Math.max(1, Math.ceil((now.getTime() - due.getTime()) / 86_400_000));
    return { text: `已超期 ${days} 天`, tone: 'overdue' };
  }
  const lastDay = new Date(due.getTime() - 1);
  const left = calendar.workingDaysBetween(now, lastDay) + (calendar.isWorkingDay(chinaDateOf(now)) ? 1 : 0);
  if (left <= 1 && chinaDateOf(lastDay) === chinaDateOf(now)) return { text: '今日到期', tone: 'soon' };
  return { text: `剩余 ${left} 个工作日`, tone: left <= 2 ? 'soon' : 'ok' };
}

/** The last day a step may take: a deadline instant is 00:00 of the day after it (src/time/calendar.ts). */
export function dueDate(deadlineAt: Date | string | null | undefined): string {
  if (!deadlineAt) return '';
  return date(new Date(new Date(deadlineAt).getTime() - 1));
}
