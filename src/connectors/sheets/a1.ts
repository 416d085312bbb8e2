// A1 notation for the ranges the connector builds. A sheet title always goes in single quotes
// (with ' doubled), so a title from a flow (`Q1 'draft'!A1`) is a title and never a range.

export const quoteSheet = (title: string): string => `'${title.replace(/'/g, "''")}'`;

/** The column letters of a 0-based index: 0 → A, 25 → Z, 26 → AA. */
export function columnLetters(index: number): string {
  let n = index + 1;
  let out = '';
  while (n > 0) {
    const r = (n - 1) % 26;
    out = String.fromCharCode(65 + r) + out;
    n = Math.floor((n - 1) / 26);
  }
  return out;
}

/** The 1-based row of a range's first cell (`'Sheet1'!A7:D7` → 7), or undefined. */
export function firstRowOf(range: string): number | undefined {
  const m = /!\$?[A-Z]*\$?(\d+)/i.exec(range);
  return m ? Number(m[1]) : undefined;
}
