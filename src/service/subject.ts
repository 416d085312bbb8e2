// One line that says what a handoff is about, from its input, for lists and cards: a field
// that is a subject by name when there is one, else who or what it concerns and its amount.
const TEXT_FIELDS = ['subject', 'title', 'summary', 'text', 'description', 'body'];
const WHO_FIELDS = ['company', 'customer', 'vendor', 'account', 'name', 'email', 'from'];
const TAG_FIELDS = ['severity', 'priority', 'tier'];
const MAX = 120;

const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v.trim() !== '' ? v.trim().split('\n')[0]!.trim() : undefined;

function clip(text: string): string {
  return text.length > MAX ? `${text.slice(0, MAX - 1).trimEnd()}…` : text;
}

function amount(input: Record<string, unknown>): string | undefined {
  const a = input.amount;
  if (typeof a !== 'number' || !Number.isFinite(a)) return undefined;
  const currency = str(input.currency);
  return `${a.toLocaleString('en-US', { maximumFractionDigits: 2 })}${currency ? ` ${currency}` : ''}`;
}

export function subjectOf(input: Record<string, unknown>): string | undefined {
  const tag = TAG_FIELDS.map((k) => str(input[k])).find(Boolean);
  const text = TEXT_FIELDS.map((k) => str(input[k])).find(Boolean);
  if (text) return clip(tag ? `${tag}: ${text}` : text);
  const who = WHO_FIELDS.map((k) => str(input[k])).find(Boolean);
  const parts = [tag, who, amount(input)].filter((p): p is string => p !== undefined);
  if (parts.length) return clip(parts.join(' · '));
  // Nothing known by name: the first few short scalar fields, named.
  const rest = Object.entries(input)
    .filter(
      ([k, v]) => k !== 'id' && (typeof v === 'string' || typeof v === 'number') && String(v).length <= 60,
    )
    .slice(0, 3)
    .map(([k, v]) => `${k}: ${String(v)}`);
  return rest.length ? clip(rest.join(', ')) : undefined;
}
