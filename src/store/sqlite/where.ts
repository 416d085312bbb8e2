// Builds a WHERE clause from optional filters, keeping conditions and their parameters together.
export class Where {
  private readonly conditions: string[] = [];
  readonly params: unknown[] = [];

  /** Adds `condition` (with `?` placeholders) when `enabled`. */
  add(enabled: boolean, condition: string, ...params: unknown[]): this {
    if (enabled) {
      this.conditions.push(condition);
      this.params.push(...params);
    }
    return this;
  }

  get sql(): string {
    return this.conditions.length ? `WHERE ${this.conditions.join(' AND ')}` : '';
  }
}
