// Lookup tables of a project: every `tables/*.csv` (a header row, then rows; values are strings)
// and `tables/*.yaml` / `*.yml` (a list of mappings; values keep their YAML types), keyed by the
// file name without its extension.
import { readdirSync, readFileSync } from 'node:fs';
import { extname, basename, join } from 'node:path';
import type { ErrorDetail } from '../core/errors.ts';
import { isMap, isSeq } from 'yaml';
import { isRecord } from '../flow/checker.ts';
import { errnoCode, errorMessage } from '../flow/io.ts';
import { YamlSource } from '../flow/yaml-source.ts';
import { csvToRows, CsvSyntaxError } from './csv.ts';

export type TableRows = Array<Record<string, unknown>>;

const TABLE_FILE = /\.(csv|ya?ml)$/i;

function yamlTable(text: string, file: string, errors: ErrorDetail[]): TableRows | undefined {
  const src = new YamlSource(text, file);
  const syntax = src.syntaxErrors();
  if (syntax.length > 0) {
    errors.push(...syntax);
    return undefined;
  }
  const contents = src.doc.contents;
  if (contents === null) return [];
  if (!isSeq(contents)) {
    errors.push(src.detail([], 'a YAML table is a list of rows: - { key: value, … }'));
    return undefined;
  }
  let ok = true;
  contents.items.forEach((item, i) => {
    if (!isMap(item)) {
      errors.push(src.detail([i], 'each row must be a mapping (key: value)'));
      ok = false;
    }
  });
  if (!ok) return undefined;
  const rows = src.toJS();
  return Array.isArray(rows) ? rows.filter(isRecord) : [];
}

/** Loads every table of a folder (a missing folder has none); problems go to `errors`. */
export function loadTables(dir: string, errors: ErrorDetail[]): Map<string, TableRows> {
  const tables = new Map<string, TableRows>();
  const from = new Map<string, string>();
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((n) => TABLE_FILE.test(n))
      .sort();
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return tables;
    errors.push({ file: dir, path: '', message: `cannot read the tables folder: ${errorMessage(e)}` });
    return tables;
  }
  for (const name of names) {
    const file = join(dir, name);
    const ext = extname(name);
    const table = basename(name, ext);
    const text = readFileSync(file, 'utf8');
    let rows: TableRows | undefined;
    if (ext.toLowerCase() === '.csv') {
      try {
        rows = csvToRows(text);
      } catch (e) {
        if (!(e instanceof CsvSyntaxError)) throw e;
        errors.push({ file, line: e.line, column: e.column, path: '', message: `CSV: ${e.message}` });
      }
    } else {
      rows = yamlTable(text, file, errors);
    }
    if (!rows) continue;
    const other = from.get(table);
    if (other) {
      errors.push({
        file,
        line: 1,
        column: 1,
        path: '',
        message: `duplicate table "${table}": ${other} has the same name`,
      });
      continue;
    }
    from.set(table, file);
    tables.set(table, rows);
  }
  return tables;
}
