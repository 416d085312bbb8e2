// Small helpers for file-system errors, shared by the flow and project loaders.

/** The `code` of a Node.js system error (`ENOENT`, …), if any. */
export function errnoCode(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null || !('code' in e)) return undefined;
  return typeof e.code === 'string' ? e.code : undefined;
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
