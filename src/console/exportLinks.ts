// The console's download links: the API's export routes (GET /exports/…), which take the console's session
// cookie like every API read, with the filters of the page the person is looking at. Pure.
import type { WorklistQueryInput } from './routes/inbox.js';

function url(path: string, params: Record<string, string | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') p.set(k, v);
  const s = p.toString();
  return s ? `${path}?${s}` : path;
}

/** The current list (待办 or 案件查询, filters and all, every page) as XLSX and CSV. */
export function worklistExportLinks(view: 'inbox' | 'all', role: string | null | undefined, q: WorklistQueryInput) {
  const params = {
    view,
    role: view === 'inbox' ? (role ?? undefined) : undefined,
    step: q.step,
    reviewLevel: q.level,
    region: q.region,
    category: q.category,
    overdue: q.overdue ? 'true' : undefined,
    includeClosed: q.closed ? 'true' : undefined,
    q: q.q,
  };
  return { xlsx: url('/exports/worklist.xlsx', params), csv: url('/exports/worklist.csv', params) };
}

/** The 花名册 of a region (county, township or village; the jurisdiction when none or a wider one). */
export function rosterLink(region: string | undefined, format: 'xlsx' | 'csv' = 'xlsx'): string {
  const r = region && [6, 9, 12].includes(region.length) ? region : undefined;
  return url(`/exports/roster.${format}`, { region: r });
}

/** The overdue cases of a region as /exports/overdue takes it: a county, or a township (a village: its township). */
export function overdueExportLinks(region: string) {
  const params = region.length >= 9 ? { township: region.slice(0, 9) } : region.length === 6 ? { county: region } : {};
  return { xlsx: url('/exports/overdue.xlsx', params), csv: url('/exports/overdue.csv', params) };
}

/** A report (GET /reports/<name>) with the page's region and period, as XLSX and CSV. */
export function reportExportLinks(name: string, q: { region?: string; from?: string; to?: string }) {
  const params = { region: q.region, from: q.from, to: q.to };
  return { xlsx: url(`/exports/reports/${name}.xlsx`, params), csv: url(`/exports/reports/${name}.csv`, params) };
}

/** The live projection (GET /projection) of the reader's jurisdiction, as XLSX and CSV. */
export const projectionExportLinks = { xlsx: '/exports/projection.xlsx', csv: '/exports/projection.csv' } as const;
