// Google Sheets as a table: row 1 holds the headers, and rows are read and written by header
// name, never by column letter, so a flow keeps working when someone reorders the columns.
// `append_row` stores Baton's idempotency key in a key column the flow names and looks for it
// before appending, so a retried step finds its row instead of adding a second; its rollback
// deletes that row. `update_cells` captures the cells it overwrites; its rollback writes them
// back. Both locate rows by a key column at the moment they act, not by a remembered row number,
// since other people insert and sort rows in a shared sheet.
import { z } from 'zod';
import type { sheets_v4 } from '@googleapis/sheets';
import { BatonError } from '../../core/errors.ts';
import { sdkFailure } from '../failure.ts';
import type { ActionContext } from '../../actions/define.ts';
import { defineConnector, type ConnectorAction, type ConnectorSource } from '../define.ts';
import { callOptions, sheetsClient } from './client.ts';
import { columnLetters, firstRowOf, quoteSheet } from './a1.ts';

const settings = z
  .strictObject({
    /** The service account's key JSON (client_email and private_key are what is used). */
    credentials: z
      .preprocess(
        // From `${ENV}` the key JSON arrives as text.
        (v) => {
          if (typeof v !== 'string') return v;
          try {
            return JSON.parse(v) as unknown;
          } catch {
            return v;
          }
        },
        z.looseObject({ client_email: z.string().min(1), private_key: z.string().min(1) }),
      )
      .optional(),
    /** Or a path to the key JSON file, relative to the project folder. */
    keyFile: z.string().min(1).optional(),
    /** Where the service account's JWT is exchanged for a token (default Google's). */
    tokenUri: z.url({ protocol: /^https?$/ }).optional(),
    rootUrl: z.url({ protocol: /^https?$/ }).default('https://sheets.googleapis.com/'),
    /** The spreadsheet actions use when a flow names none. */
    spreadsheetId: z.string().min(1).optional(),
    /** Headers whose cells are free text from outside (a form's comments): untrusted in context. */
    untrustedColumns: z.array(z.string()).default([]),
  })
  .refine((s) => (s.credentials ? 1 : 0) + (s.keyFile ? 1 : 0) === 1, {
    message: 'give the service account as credentials (its key JSON) or keyFile, one of them',
    path: ['credentials'],
  });
type Settings = z.infer<typeof settings>;

const cell = z.union([z.string().max(50_000), z.number(), z.boolean(), z.null()]);
type Cell = z.infer<typeof cell>;
const target = {
  spreadsheetId: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .optional()
    .describe('default: the connector setting'),
  sheet: z.string().min(1).max(100).describe('the sheet (tab) title; row 1 holds the headers'),
};

const findParams = z.strictObject({
  ...target,
  column: z.string().min(1).describe('a header of row 1'),
  value: z.union([z.string(), z.number(), z.boolean()]),
});
const appendParams = z
  .strictObject({
    ...target,
    values: z.record(z.string().min(1), cell).describe('cell values by header'),
    keyColumn: z
      .string()
      .min(1)
      .default('baton_key')
      .describe("the header of the column holding Baton's key"),
  })
  .refine((p) => !(p.keyColumn in p.values), {
    message: 'the key column is filled by Baton (with the idempotency key)',
    path: ['values'],
  });
const updateParams = z
  .strictObject({
    ...target,
    keyColumn: z.string().min(1).describe('the header of the column that identifies the row'),
    keyValue: z.union([z.string(), z.number(), z.boolean()]),
    cells: z.record(z.string().min(1), cell).describe('new cell values by header'),
  })
  .refine((p) => !(p.keyColumn in p.cells), {
    message: 'the key column locates the row; it cannot be one of the cells changed',
    path: ['cells'],
  })
  .refine((p) => Object.keys(p.cells).length > 0, { message: 'name at least one cell', path: ['cells'] });

type AppendParams = z.output<typeof appendParams>;
type UpdateParams = z.output<typeof updateParams>;
interface AppendResult {
  row: number;
  range: string;
  key: string;
  /** The row was already there: an earlier try of this step appended it. */
  existing: boolean;
}
interface UpdateResult {
  row: number;
  updatedCells: number;
}
interface UpdateUndo {
  previous: Record<string, Cell>;
}

const userError = (message: string): BatonError =>
  new BatonError('action_failed', message, { fault: 'user', retryable: false });

/** A cell as text, for comparing a sheet's 42 with a flow's "42". */
const text = (v: unknown): string =>
  typeof v === 'string'
    ? v
    : typeof v === 'number' || typeof v === 'boolean'
      ? String(v)
      : JSON.stringify(v ?? '');

const same = (a: unknown, b: unknown): boolean =>
  a !== undefined && a !== null && a !== '' && text(a) === text(b);

interface Table {
  headers: string[];
  rows: unknown[][];
}

export const sheets = defineConnector<Settings>({
  type: 'sheets',
  description: 'Google Sheets (a service account): find, append and update rows by header',
  settings,
  secrets: ['credentials'],
  baseUrls: ['rootUrl', 'tokenUri'],
  open(s, ctx) {
    const { api, token } = sheetsClient(s, ctx.projectDir);
    // SDK errors become classified BatonErrors here, so the framework's read retries know a 401
    // from a 429 (and its Retry-After) before it wraps them.
    const call = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
      try {
        return await f();
      } catch (e) {
        throw sdkFailure(`sheets: ${what}`, e);
      }
    };
    const idOf = (p: { spreadsheetId?: string | undefined }): string => {
      const id = p.spreadsheetId ?? s.spreadsheetId;
      if (!id) throw userError('sheets: name the spreadsheetId (in the flow or the connector settings)');
      return id;
    };
    const read = async (
      spreadsheetId: string,
      sheet: string,
      signal: AbortSignal,
      render: 'UNFORMATTED_VALUE' | 'FORMULA' = 'UNFORMATTED_VALUE',
    ): Promise<Table> => {
      const r = await call('read values', () =>
        api.spreadsheets.values.get(
          { spreadsheetId, range: quoteSheet(sheet), valueRenderOption: render, majorDimension: 'ROWS' },
          callOptions(signal),
        ),
      );
      const data: unknown = r.data;
      const values =
        data && typeof data === 'object' ? (data as sheets_v4.Schema$ValueRange).values : undefined;
      if (values !== undefined && values !== null && !Array.isArray(values))
        throw new BatonError('action_failed', 'sheets: the values answer is not a list of rows', {
          fault: 'provider',
          retryable: false,
        });
      const rows = (values ?? []).map((row) => (Array.isArray(row) ? (row as unknown[]) : []));
      return { headers: (rows[0] ?? []).map((h) => text(h).trim()), rows: rows.slice(1) };
    };
    const column = (t: Table, header: string, sheet: string): number => {
      const i = t.headers.indexOf(header.trim());
      if (i < 0) throw userError(`sheets: sheet ${sheet} has no column ${header} in row 1`);
      return i;
    };
    /** The 1-based sheet row of the first data row whose `col` holds `value`. */
    const rowWhere = (t: Table, col: number, value: unknown): number | undefined => {
      const i = t.rows.findIndex((r) => same(r[col], value));
      return i < 0 ? undefined : i + 2;
    };
    const record = (t: Table, row: unknown[]): Record<string, unknown> =>
      Object.fromEntries(t.headers.flatMap((h, i) => (h ? [[h, row[i] ?? '']] : [])));
    const writeCells = async (
      spreadsheetId: string,
      data: sheets_v4.Schema$ValueRange[],
      inputOption: 'RAW' | 'USER_ENTERED',
      signal: AbortSignal,
    ): Promise<number> => {
      if (data.length === 0) return 0;
      const r = await call('update values', () =>
        api.spreadsheets.values.batchUpdate(
          { spreadsheetId, requestBody: { valueInputOption: inputOption, data } },
          callOptions(signal),
        ),
      );
      return r.data.totalUpdatedCells ?? 0;
    };
    const cellRange = (sheet: string, col: number, row: number): string =>
      `${quoteSheet(sheet)}!${columnLetters(col)}${row}`;
    // null means "leave as is" to the Sheets API: an empty string empties the cell.
    const asCell = (v: Cell): string | number | boolean => (v === null ? '' : v);

    const findRow: ConnectorSource = {
      id: 'find_row',
      description: 'the first row whose column holds the value, as {header: value} (null if none)',
      params: findParams,
      trust: 'trusted',
      untrustedFields: s.untrustedColumns,
      fetch: async (p: z.output<typeof findParams>, c) => {
        const t = await read(idOf(p), p.sheet, c.signal);
        const col = column(t, p.column, p.sheet);
        const row = t.rows.find((r) => same(r[col], p.value));
        return row ? record(t, row) : null;
      },
    };

    const appendRow: ConnectorAction = {
      id: 'append_row',
      description: "append a row by header, Baton's idempotency key in the key column",
      params: appendParams,
      risk: 'low',
      idempotent: true,
      idempotency: 'lookup',
      run: async (p: AppendParams, c: ActionContext): Promise<AppendResult> => {
        const spreadsheetId = idOf(p);
        const t = await read(spreadsheetId, p.sheet, c.signal);
        const keyCol = column(t, p.keyColumn, p.sheet);
        const cols = Object.keys(p.values).map((h) => [h, column(t, h, p.sheet)] as const);
        const found = rowWhere(t, keyCol, c.idempotencyKey);
        if (found !== undefined)
          return {
            row: found,
            range: `${quoteSheet(p.sheet)}!A${found}`,
            key: c.idempotencyKey,
            existing: true,
          };
        const row: Array<string | number | boolean> = t.headers.map(() => '');
        for (const [h, i] of cols) row[i] = asCell(p.values[h]!);
        row[keyCol] = c.idempotencyKey;
        const r = await call('append', () =>
          api.spreadsheets.values.append(
            {
              spreadsheetId,
              range: `${quoteSheet(p.sheet)}!A1`,
              valueInputOption: 'RAW',
              insertDataOption: 'INSERT_ROWS',
              requestBody: { majorDimension: 'ROWS', values: [row] },
            },
            callOptions(c.signal),
          ),
        );
        const range = r.data.updates?.updatedRange ?? '';
        return { row: firstRowOf(range) ?? 0, range, key: c.idempotencyKey, existing: false };
      },
      // Deletes the row holding this step's key, wherever it is now; none left means done.
      rollback: async (p: AppendParams, result: AppendResult, c) => {
        const spreadsheetId = idOf(p);
        const t = await read(spreadsheetId, p.sheet, c.signal);
        const row = rowWhere(t, column(t, p.keyColumn, p.sheet), result.key);
        if (row === undefined) return { deleted: 0 };
        const meta = await call('read sheet ids', () =>
          api.spreadsheets.get(
            { spreadsheetId, fields: 'sheets.properties(sheetId,title)' },
            callOptions(c.signal),
          ),
        );
        const sheetId = meta.data.sheets?.find((x) => x.properties?.title === p.sheet)?.properties?.sheetId;
        if (sheetId === undefined || sheetId === null) throw userError(`sheets: no sheet titled ${p.sheet}`);
        await call('delete row', () =>
          api.spreadsheets.batchUpdate(
            {
              spreadsheetId,
              requestBody: {
                requests: [
                  {
                    deleteDimension: {
                      range: { sheetId, dimension: 'ROWS', startIndex: row - 1, endIndex: row },
                    },
                  },
                ],
              },
            },
            callOptions(c.signal),
          ),
        );
        return { deleted: 1, row };
      },
    };

    const locate = async (p: UpdateParams, signal: AbortSignal, render?: 'FORMULA') => {
      const spreadsheetId = idOf(p);
      const t = await read(spreadsheetId, p.sheet, signal, render);
      const row = rowWhere(t, column(t, p.keyColumn, p.sheet), p.keyValue);
      if (row === undefined)
        throw userError(`sheets: no row of ${p.sheet} has ${p.keyColumn} = ${String(p.keyValue)}`);
      const cols = Object.keys(p.cells).map((h) => [h, column(t, h, p.sheet)] as const);
      return { spreadsheetId, t, row, cols };
    };

    const updateCells: ConnectorAction = {
      id: 'update_cells',
      description: 'set cells (by header) of the row whose key column holds the value',
      params: updateParams,
      risk: 'medium',
      idempotent: true,
      idempotency: 'natural',
      // Formulas are read as formulas, so the rollback restores =SUM(…) and not its result.
      capture: async (p: UpdateParams, c: ActionContext): Promise<UpdateUndo> => {
        const { t, row, cols } = await locate(p, c.signal, 'FORMULA');
        const values = t.rows[row - 2] ?? [];
        return { previous: Object.fromEntries(cols.map(([h, i]) => [h, (values[i] ?? '') as Cell])) };
      },
      run: async (p: UpdateParams, c: ActionContext): Promise<UpdateResult> => {
        const { spreadsheetId, row, cols } = await locate(p, c.signal);
        const data = cols.map(([h, i]) => ({
          range: cellRange(p.sheet, i, row),
          values: [[asCell(p.cells[h]!)]],
        }));
        return { row, updatedCells: await writeCells(spreadsheetId, data, 'RAW', c.signal) };
      },
      rollback: async (p: UpdateParams, _r: UpdateResult, c) => {
        const undo = c.undo as UpdateUndo | undefined;
        if (!undo) throw userError('sheets: update_cells has no captured values to restore');
        const { spreadsheetId, row, cols } = await locate(p, c.signal);
        const plain: sheets_v4.Schema$ValueRange[] = [];
        const formulas: sheets_v4.Schema$ValueRange[] = [];
        for (const [h, i] of cols) {
          const v = undo.previous[h] ?? '';
          const isFormula = typeof v === 'string' && v.startsWith('=');
          (isFormula ? formulas : plain).push({ range: cellRange(p.sheet, i, row), values: [[asCell(v)]] });
        }
        const restored =
          (await writeCells(spreadsheetId, plain, 'RAW', c.signal)) +
          (await writeCells(spreadsheetId, formulas, 'USER_ENTERED', c.signal));
        return { row, restoredCells: restored };
      },
    };

    return {
      actions: [appendRow, updateCells],
      sources: [findRow],
      check: async (signal) => {
        if (!s.spreadsheetId) {
          // Without a spreadsheet to read, getting a token proves the credentials.
          await call('token', token);
          return 'authenticated (service account token obtained)';
        }
        const r = await call('read spreadsheet', () =>
          api.spreadsheets.get(
            { spreadsheetId: s.spreadsheetId!, fields: 'properties.title,sheets.properties.title' },
            callOptions(signal),
          ),
        );
        const titles = (r.data.sheets ?? []).map((x) => x.properties?.title).filter(Boolean);
        return `spreadsheet "${r.data.properties?.title ?? s.spreadsheetId}" (${titles.length} sheets)`;
      },
    };
  },
});
