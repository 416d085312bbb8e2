// Notion property values, both ways. Reading flattens each value to what a decision needs (the
// text, the number, the option's name); undoing an update needs the opposite: a value read from
// a page turned back into the form the API takes, so writing it restores the page as it was.
import { BatonError } from '../../core/errors.ts';

type Json = Record<string, unknown>;
const rec = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? (v as unknown[]) : []);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** Rich text as plain text. */
export const richText = (v: unknown): string =>
  list(v)
    .map((t) => str(rec(t)['plain_text']) ?? '')
    .join('');

/** A property value as a plain value (text, number, boolean, names, ids), or null. */
export function plainValue(prop: unknown): unknown {
  const p = rec(prop);
  const type = str(p['type']);
  if (!type) return null;
  const v = p[type];
  switch (type) {
    case 'title':
    case 'rich_text':
      return richText(v);
    case 'number':
    case 'checkbox':
    case 'url':
    case 'email':
    case 'phone_number':
    case 'created_time':
    case 'last_edited_time':
      return v ?? null;
    case 'select':
    case 'status':
      return str(rec(v)['name']);
    case 'multi_select':
      return list(v).map((o) => str(rec(o)['name']));
    case 'date': {
      const d = rec(v);
      if (!d['start']) return null;
      return d['end'] ? { start: d['start'], end: d['end'] } : d['start'];
    }
    case 'people':
      return list(v).map((u) => str(rec(u)['name']) ?? str(rec(u)['id']));
    case 'created_by':
    case 'last_edited_by':
      return str(rec(v)['name']) ?? str(rec(v)['id']);
    case 'relation':
      return list(v).map((r) => str(rec(r)['id']));
    case 'files':
      return list(v).map((f) => str(rec(f)['name']));
    case 'unique_id': {
      const u = rec(v);
      const n = u['number'];
      if (typeof n !== 'number') return null;
      const prefix = str(u['prefix']);
      return prefix ? `${prefix}-${n}` : String(n);
    }
    case 'formula':
      return plainValue(v);
    case 'rollup': {
      const r = rec(v);
      return r['type'] === 'array' ? list(r['array']).map(plainValue) : (r[str(r['type']) ?? ''] ?? null);
    }
    default:
      // string, number, boolean, date inside a formula
      if (v === null || typeof v !== 'object') return v ?? null;
      return null;
  }
}

/** Every property of a page, flattened, by name. */
export const plainProperties = (props: unknown): Json =>
  Object.fromEntries(Object.entries(rec(props)).map(([k, v]) => [k, plainValue(v)]));

/** The page's title (its one title property). */
export const titleOf = (props: unknown): string => {
  const t = Object.values(rec(props)).find((p) => rec(p)['type'] === 'title');
  return t ? richText(rec(t)['title']) : '';
};

const notRestorable = (name: string, why: string): BatonError =>
  new BatonError('action_failed', `notion: property "${name}" cannot be restored after an update: ${why}`, {
    fault: 'user',
    retryable: false,
  });

/** A rich text item read from a page, as the API takes it. */
function richTextRequest(item: unknown, name: string): Json {
  const t = rec(item);
  const annotations = rec(t['annotations']);
  if (t['type'] === 'text') {
    const text = rec(t['text']);
    return {
      type: 'text',
      text: { content: text['content'] ?? '', link: text['link'] ?? null },
      annotations,
    };
  }
  if (t['type'] === 'equation')
    return { type: 'equation', equation: { expression: rec(t['equation'])['expression'] }, annotations };
  if (t['type'] === 'mention') {
    const m = rec(t['mention']);
    const kind = str(m['type']);
    const target = rec(kind ? m[kind] : undefined);
    if (kind === 'user' || kind === 'page' || kind === 'database')
      return { type: 'mention', mention: { [kind]: { id: target['id'] } }, annotations };
    if (kind === 'date') return { type: 'mention', mention: { date: target }, annotations };
  }
  throw notRestorable(
    name,
    `it holds rich text of a kind (${str(t['type']) ?? '?'}) Baton cannot write back`,
  );
}

/** A property value read from a page, as the API takes it (writing it restores the value). */
export function writableValue(prop: unknown, name: string): unknown {
  const p = rec(prop);
  const type = str(p['type']);
  const v = type ? p[type] : undefined;
  switch (type) {
    case 'title':
    case 'rich_text':
      return { [type]: list(v).map((t) => richTextRequest(t, name)) };
    case 'number':
    case 'checkbox':
    case 'url':
    case 'email':
    case 'phone_number':
      return { [type]: v ?? null };
    case 'select':
    case 'status':
      return { [type]: v ? { name: rec(v)['name'] } : null };
    case 'multi_select':
      return { multi_select: list(v).map((o) => ({ name: rec(o)['name'] })) };
    case 'date': {
      const d = rec(v);
      return {
        date: d['start']
          ? { start: d['start'], end: d['end'] ?? null, time_zone: d['time_zone'] ?? null }
          : null,
      };
    }
    case 'people':
    case 'relation':
      return { [type]: list(v).map((x) => ({ id: rec(x)['id'] })) };
    case 'files':
      return {
        files: list(v).map((f) => {
          const file = rec(f);
          if (file['type'] !== 'external') throw notRestorable(name, 'it holds a file uploaded to Notion');
          return { name: file['name'], type: 'external', external: { url: rec(file['external'])['url'] } };
        }),
      };
    default:
      throw notRestorable(name, `Notion computes ${type ?? 'its'} values (read-only)`);
  }
}
