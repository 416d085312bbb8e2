// Reading column values: numbers may come back as text or BigInt, absent values as NULL, JSON
// as text. Shared by the row mappers (rows.ts, notice-rows.ts).
export type Row = Record<string, unknown>;

export const num = (v: unknown): number => Number(v);
export const optNum = (v: unknown): number | undefined =>
  v === null || v === undefined ? undefined : Number(v);
export const optStr = (v: unknown): string | undefined =>
  v === null || v === undefined ? undefined : typeof v === 'string' ? v : JSON.stringify(v);
export const json = <T>(v: unknown): T => JSON.parse(String(v)) as T;
export const optJson = <T>(v: unknown): T | undefined =>
  v === null || v === undefined ? undefined : json<T>(v);
