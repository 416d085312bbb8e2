// Keeps secrets out of prompts, logs and events: every value of an environment variable whose
// name says it is a secret (…KEY, …TOKEN, …SECRET, …PASSWORD) is replaced wherever it appears
// in text Baton is about to send to a model or store.
export class Redactor {
  private readonly secrets: string[];

  constructor(secrets: Iterable<string>) {
    // Longest first, so a secret containing another is replaced whole.
    this.secrets = [...new Set([...secrets].filter((s) => s.length >= 8))].sort(
      (a, b) => b.length - a.length,
    );
  }

  static fromEnv(env: Readonly<Record<string, string | undefined>>, extra: Iterable<string> = []): Redactor {
    const found: string[] = [...extra];
    for (const [name, value] of Object.entries(env)) {
      if (value && /(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL)/i.test(name)) found.push(value);
    }
    return new Redactor(found);
  }

  text(s: string): string {
    let out = s;
    for (const secret of this.secrets) if (out.includes(secret)) out = out.split(secret).join('[redacted]');
    return out;
  }

  /** A JSON value with every string redacted. */
  value<T>(v: T): T {
    if (this.secrets.length === 0) return v;
    return JSON.parse(this.text(JSON.stringify(v))) as T;
  }

  contains(s: string): boolean {
    return this.secrets.some((secret) => s.includes(secret));
  }
}
