import { describe, expect, it } from 'vitest';
import { csvToRows, CsvSyntaxError, parseCsv } from './csv.ts';

/** The error `fn` throws (fails the test when it throws nothing). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

describe('parseCsv', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks', () => {
    const text = 'name,note,city\n"Acme, Inc.","said ""hi""",Berlin\r\n"Multi\nline",,"Zürich"\n';
    expect(parseCsv(text)).toEqual([
      { line: 1, fields: ['name', 'note', 'city'] },
      { line: 2, fields: ['Acme, Inc.', 'said "hi"', 'Berlin'] },
      { line: 3, fields: ['Multi\nline', '', 'Zürich'] },
    ]);
  });

  it('drops a BOM, skips blank lines, keeps trailing empty fields, needs no final newline', () => {
    expect(parseCsv('\uFEFFa,b\n\n1,\n\r\n2,3')).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 3, fields: ['1', ''] },
      { line: 5, fields: ['2', '3'] },
    ]);
    expect(parseCsv('')).toEqual([]);
    expect(parseCsv('a,b,')).toEqual([{ line: 1, fields: ['a', 'b', ''] }]);
  });

  it('keeps quotes inside unquoted fields', () => {
    expect(parseCsv('a\n5" pipe\n')[1]!.fields).toEqual(['5" pipe']);
  });

  it('reports an unterminated quote at the line it opens', () => {
    const e = thrown(() => parseCsv('a,b\n1,"open\n2,3\n'));
    expect(e).toBeInstanceOf(CsvSyntaxError);
    expect((e as CsvSyntaxError).line).toBe(2);
    expect((e as CsvSyntaxError).column).toBe(3);
  });

  it('rejects text after a closing quote', () => {
    expect(() => parseCsv('"a"b,c\n')).toThrow(/after a closing quote/);
  });
});

describe('csvToRows', () => {
  it('maps rows to objects by the header', () => {
    expect(csvToRows('domain, owner\nacme.com,"dana, sam"\n')).toEqual([
      { domain: 'acme.com', owner: 'dana, sam' },
    ]);
  });

  it('rejects rows with the wrong number of fields, with their line', () => {
    const e = thrown(() => csvToRows('a,b\n1,2\n1,2,3\n')) as CsvSyntaxError;
    expect(e.line).toBe(3);
    expect(e.message).toMatch(/3 fields but the header has 2/);
  });

  it('rejects empty and duplicate column names', () => {
    expect(() => csvToRows('a,,b\n')).toThrow(/no name/);
    expect(() => csvToRows('a,b,a\n')).toThrow(/duplicate column "a"/);
  });
});
