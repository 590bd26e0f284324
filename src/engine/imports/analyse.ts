/**
 * One pass over a file for a kind: header, rows parsed, rows grouped, groups built, then checked against the
 * database. Used by the dry run and again by the commit (the file is parsed anew: the database may have changed).
 */
import { fileRows, mapHeader, type FileFormat } from '../../imports/intake.js';
import { issue, type CellValue, type ImportIssue, type ImportKind, type ParsedRow, type ReadContext } from '../../imports/kind.js';

export interface Analysis<G> {
  groups: G[];
  issues: ImportIssue[];
  rowsRead: number;
  rowsWithErrors: number;
}

export interface AnalyseHooks {
  /** Called every `every` rows read; returning false stops the pass (the job was cancelled). */
  progress(rowsRead: number): Promise<boolean> | boolean;
  every: number;
}

export class AnalysisStopped extends Error {}

export async function analyse<R, G>(kind: ImportKind<R, G, unknown>, bytes: Buffer, format: FileFormat, read: ReadContext, hooks: AnalyseHooks): Promise<Analysis<G>> {
  const issues: ImportIssue[] = [];
  const byKey = new Map<string, ParsedRow<R>[]>();
  const badKeys = new Set<string>();
  let keys: (string | null)[] | null = null;
  let rowsRead = 0;
  for await (const r of fileRows(bytes, format)) {
    if (keys === null) {
      keys = mapHeader(r.cells, kind.columns);
      continue;
    }
    const cells: Record<string, CellValue> = {};
    let empty = true;
    keys.forEach((k, i) => {
      if (k === null) return;
      const v = r.cells[i] ?? null;
      cells[k] = v;
      if (v !== null && !(typeof v === 'string' && v.trim() === '')) empty = false;
    });
    if (empty) continue;
    rowsRead++;
    const parsed = kind.parseRow(cells, r.row);
    issues.push(...parsed.issues);
    if (parsed.value !== null) {
      const key = kind.groupKey(parsed.value);
      const list = byKey.get(key);
      if (list) list.push({ row: r.row, value: parsed.value });
      else byKey.set(key, [{ row: r.row, value: parsed.value }]);
    } else {
      const k = cells[kind.groupColumn];
      if (k !== null && k !== undefined) badKeys.add(String(k).trim());
    }
    if (rowsRead % hooks.every === 0 && !(await hooks.progress(rowsRead))) throw new AnalysisStopped();
  }
  if (keys === null) throw Object.assign(new Error('no header'), { noHeader: true });
  const groups: G[] = [];
  for (const [key, rows] of byKey) {
    // A group with a faulty row is not built: its other rows would be judged without it.
    if (badKeys.has(key)) {
      issues.push(issue(rows[0].row, null, '本户有成员行存在错误，修正后本户才能导入'));
      continue;
    }
    const built = kind.buildGroup(key, rows);
    issues.push(...built.issues);
    if (built.value !== null) groups.push(built.value);
  }
  issues.push(...(await kind.validateGroups(groups, read)));
  issues.sort((a, b) => (a.row ?? 0) - (b.row ?? 0));
  const rowsWithErrors = new Set(issues.filter((i) => i.row !== null).map((i) => i.row)).size;
  return { groups, issues, rowsRead, rowsWithErrors };
}
