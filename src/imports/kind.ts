/**
 * The import framework's contract (批量导入): what an import kind is. The framework (src/imports/intake.ts,
 * src/engine/imports/) reads a file into rows of cells; a kind says what the columns are, turns one row into a
 * value or field errors (pure), groups rows (one row per member, grouped into households by a key column),
 * validates a group alone (pure) and all groups against the database (reads), and writes them inside the
 * import's one transaction. Kinds: `survey` (src/engine/imports/surveyKind.ts); onboarding kinds plug in the same way.
 *
 * Glossary
 *   row        a data row of the sheet, numbered as the spreadsheet shows it (the header is row 1, data from 2).
 *   column     a template column: a stable `key` (English) and its Chinese `header`, which is what files carry.
 *   issue      one problem, in Chinese, at a (row, column) — column null when it is the whole row or group.
 *   group      the rows that make one thing to write (a household and its members); its key is a column's value.
 *   dry run    parse + validate, write nothing but the job's own row (counts, issues); commit comes after.
 */
import type { Role } from '../../machines/index.js';
import type { Principal } from '../engine/types.js';
import type { Row, SqlSession, Stmt } from '../db/session.js';

/** A cell as the readers hand it over: text, a number (Excel keeps numbers and serial dates as numbers), a date, a boolean, or empty. */
export type CellValue = string | number | boolean | Date | null;

/** One entry of an enumeration: the stored code and its Chinese label (machines/labels.ts); either is accepted in a file. */
export interface EnumValue {
  code: string;
  label: string;
}

export type ColumnType = 'text' | 'idNumber' | 'date' | 'enum' | 'integer' | 'boolean' | 'regionCode' | 'phone';

export interface ImportColumn {
  /** Stable English key, used in code and in the API's issue list. */
  key: string;
  /** The header in the file and the template (Chinese). */
  header: string;
  required: boolean;
  type: ColumnType;
  /** For `enum` (and `boolean`: 是/否): the allowed values; the template offers the labels as a drop-down list. */
  values?: readonly EnumValue[];
  /** A hint shown in the template's header comment (what to enter, e.g. 18位，文本格式). */
  note?: string;
  /** The example row's value in the template. */
  example: string | number | null;
  /** Column width in the template, in characters. */
  width?: number;
}

/** One problem, for the person fixing the file: where and what, in Chinese. */
export interface ImportIssue {
  /** Spreadsheet row number (header = 1); null for a problem of the whole file. */
  row: number | null;
  /** Column key; null when the problem is the row's or the group's as a whole. */
  column: string | null;
  message: string;
}

/** A row's cells by column key (the framework maps headers to keys; unknown headers are refused before rows are read). */
export type RowCells = Readonly<Record<string, CellValue>>;

export interface ParsedRow<R> {
  row: number;
  value: R;
}

export interface RowResult<R> {
  /** Null when the row has issues (it is then left out of its group, and the group is reported as incomplete). */
  value: R | null;
  issues: ImportIssue[];
}

export interface GroupResult<G> {
  value: G | null;
  issues: ImportIssue[];
}

/** What group validation reads with: statements run in one round trip (outside, or inside the commit's transaction). */
export interface ReadContext {
  principal: Principal;
  at: Date;
  query(stmts: readonly Stmt[]): Promise<Row[][]>;
}

/** The import a commit writes for: named in every audit record it writes. */
export interface ImportSource {
  jobId: string;
  kind: string;
  fileName: string;
  sha256: string;
  importer: { id: string; username: string };
}

export interface CommitContext<O = Record<string, unknown>> extends ReadContext {
  /** The import's one transaction: everything the kind writes goes through it (all or nothing). */
  session: SqlSession;
  source: ImportSource;
  /** The kind's options as the importer chose them (e.g. the survey's `submit`). */
  options: O;
  /** Called now and then with the number of rows written so far (progress). */
  progress(rowsCommitted: number): void;
}

/**
 * An import kind. R: a parsed row; G: a validated group (what is written). The same rules as by hand: a kind
 * reuses the API's input schema for its groups (the survey's is src/engine/surveyInput.ts), so a household from a
 * file is refused exactly when POST /households would refuse it.
 */
export interface ImportKind<R = unknown, G = unknown, O = Record<string, unknown>> {
  /** URL name: /imports/templates/:name.xlsx, POST /imports kind=name. */
  name: string;
  /** zh-CN name: 入户普查. */
  label: string;
  /** Roles that may run this kind (within their own jurisdiction). */
  roles: readonly Role[];
  columns: readonly ImportColumn[];
  /** The kind's options from the upload form (strict: unknown options refused). */
  parseOptions(raw: Record<string, unknown>): O;
  /** Pure: one row's cells to a value, or issues per (row, column). */
  parseRow(cells: RowCells, row: number): RowResult<R>;
  /** The column whose value groups rows (read raw for a faulty row, so its whole group is held back). */
  groupColumn: string;
  /** Which group a parsed row belongs to (e.g. the household key column). */
  groupKey(value: R): string;
  /** Pure: a group's rows (in file order) to what is written, with the API's own checks. */
  buildGroup(key: string, rows: readonly ParsedRow<R>[]): GroupResult<G>;
  /** The first row of a group (where group-level issues are reported) is the framework's; this is its rows. */
  rowsOf(group: G): readonly number[];
  /**
   * Checks against the database, over all groups at once (villages known and in the importer's jurisdiction,
   * people already held by an open case). Issues name rows. Run at the dry run and again inside the commit.
   */
  validateGroups(groups: readonly G[], ctx: ReadContext): Promise<ImportIssue[]>;
  /**
   * Writes every group inside the import's transaction; returns the number of rows written. Throws to roll back.
   * A kind that opens cases returns their ids (`caseIds`): its commit then runs with the report rollups deferred
   * (see `createsCases`).
   */
  commit(groups: readonly G[], ctx: CommitContext<O>): Promise<{ rows: number; records: number; caseIds?: readonly string[] }>;
  /**
   * The kind opens new cases, and writes nothing else that the report rollups count. Its commit then runs with
   * the rollup triggers switched off for the transaction (`doudi.rollups = deferred`, migration 0027) and the
   * rollups are added once at the end from their definitions over the new cases (src/db/reportRollup.ts): tens of
   * thousands of cases in one transaction would otherwise update the same village rows tens of thousands of times,
   * and every update of a row already updated in the same transaction walks all its earlier versions (quadratic).
   */
  createsCases?: true;
}

/** The registry of kinds the service knows (built in main.ts / the engine, passed in). */
export type ImportKinds = ReadonlyMap<string, ImportKind<any, any, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any

export const issue = (row: number | null, column: string | null, message: string): ImportIssue => ({ row, column, message });
