// A small RFC 4180 CSV reader: comma separated; fields may be quoted with "…" and then contain
// commas, line breaks and doubled quotes (""); CRLF, LF or CR line ends; a UTF-8 BOM is dropped;
// blank lines are skipped. Quotes inside an unquoted field are kept as they are.

export interface CsvRecord {
  /** 1-based line where the record starts. */
  line: number;
  fields: string[];
}

export class CsvSyntaxError extends Error {
  readonly line: number;
  readonly column: number;
  constructor(message: string, line: number, column: number) {
    super(message);
    this.name = 'CsvSyntaxError';
    this.line = line;
    this.column = column;
  }
}

export function parseCsv(input: string): CsvRecord[] {
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let lineStart = 0;
  let recordLine = 1;
  let i = 0;
  const n = text.length;

  const endRecord = (): void => {
    fields.push(field);
    field = '';
    if (!(fields.length === 1 && fields[0] === '')) records.push({ line: recordLine, fields });
    fields = [];
  };
  /** Consumes a line break at i (CRLF, LF or CR); returns whether there was one. */
  const newline = (): boolean => {
    const c = text[i];
    if (c === '\r') i += text[i + 1] === '\n' ? 2 : 1;
    else if (c === '\n') i += 1;
    else return false;
    line++;
    lineStart = i;
    return true;
  };

  while (i < n) {
    // At the start of a field.
    if (text[i] === '"') {
      const openLine = line;
      const openCol = i - lineStart + 1;
      i++;
      for (;;) {
        if (i >= n)
          throw new CsvSyntaxError('unterminated quoted field: add the closing "', openLine, openCol);
        const c = text[i]!;
        if (c === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (c === '\r' || c === '\n') {
          const start = i;
          newline();
          field += text.slice(start, i);
          continue;
        }
        field += c;
        i++;
      }
      if (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
        throw new CsvSyntaxError(
          'unexpected text after a closing quote: quote the whole field',
          line,
          i - lineStart + 1,
        );
      }
    } else {
      let j = i;
      while (j < n && text[j] !== ',' && text[j] !== '\n' && text[j] !== '\r') j++;
      field += text.slice(i, j);
      i = j;
    }
    if (i >= n) break;
    if (text[i] === ',') {
      fields.push(field);
      field = '';
      i++;
      if (i >= n) break;
      continue;
    }
    newline();
    endRecord();
    recordLine = line;
  }
  if (fields.length > 0 || field !== '') endRecord();
  return records;
}

/** Header row → objects; every value is a string. Throws CsvSyntaxError for malformed tables. */
export function csvToRows(input: string): Array<Record<string, string>> {
  const records = parseCsv(input);
  const head = records[0];
  if (!head) return [];
  const names = head.fields.map((f) => f.trim());
  names.forEach((name, i) => {
    if (name === '') throw new CsvSyntaxError(`column ${i + 1} of the header row has no name`, head.line, 1);
    if (names.indexOf(name) !== i)
      throw new CsvSyntaxError(`duplicate column "${name}" in the header row`, head.line, 1);
  });
  const rows: Array<Record<string, string>> = [];
  for (const r of records.slice(1)) {
    if (r.fields.length !== names.length) {
      throw new CsvSyntaxError(`has ${r.fields.length} fields but the header has ${names.length}`, r.line, 1);
    }
    const row: Record<string, string> = {};
    for (let k = 0; k < names.length; k++) row[names[k]!] = r.fields[k]!;
    rows.push(row);
  }
  return rows;
}
