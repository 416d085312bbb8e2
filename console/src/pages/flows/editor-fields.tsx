// The editor's inputs: each labelled, each showing the server's problems with its field (linked
// by aria-describedby, marked aria-invalid), read-only for people who may not edit.
import { createContext, useContext, useState, type ReactNode } from 'react';
import { fieldId, fieldPath, splitList, type PathSeg } from './edit-ops.ts';

export interface FieldContext {
  readOnly: boolean;
  /** The draft's problems by field path (`decide.rules[1].when`). */
  problems: ReadonlyMap<string, string[]>;
}

export const Fields = createContext<FieldContext>({ readOnly: true, problems: new Map() });

interface Base {
  label: string;
  path: readonly PathSeg[];
  hint?: string;
}

/** The label, the input and what the server said about this field. */
function Field({
  label,
  path,
  hint,
  children,
}: Base & { children: (a: Record<string, unknown>) => ReactNode }) {
  const { problems } = useContext(Fields);
  const id = fieldId(path);
  const mine = problems.get(fieldPath(path)) ?? [];
  const described = [hint ? `${id}-hint` : '', mine.length ? `${id}-err` : ''].filter(Boolean).join(' ');
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children({
        id,
        'aria-invalid': mine.length > 0 || undefined,
        ...(described ? { 'aria-describedby': described } : {}),
      })}
      {hint && (
        <span className="hint muted" id={`${id}-hint`}>
          {hint}
        </span>
      )}
      {mine.length > 0 && (
        <span className="field-error" id={`${id}-err`}>
          <span aria-hidden="true">⚠ </span>
          {mine.join('; ')}
        </span>
      )}
    </div>
  );
}

export function TextField(
  p: Base & {
    value: string | undefined;
    onChange: (text: string) => void;
    multiline?: boolean;
    code?: boolean;
  },
) {
  const { readOnly } = useContext(Fields);
  return (
    <Field {...p}>
      {(a) =>
        p.multiline ? (
          <textarea
            {...a}
            rows={2}
            className={p.code ? 'code' : undefined}
            value={p.value ?? ''}
            readOnly={readOnly}
            spellCheck={false}
            onChange={(e) => p.onChange(e.target.value)}
          />
        ) : (
          <input
            {...a}
            type="text"
            className={p.code ? 'code' : undefined}
            value={p.value ?? ''}
            readOnly={readOnly}
            spellCheck={false}
            onChange={(e) => p.onChange(e.target.value)}
          />
        )
      }
    </Field>
  );
}

/**
 * Text the person types freely (a list as "a, b", a number) with what it means sent on each
 * keystroke: the field keeps the text, so "a, " or "0." can be typed on the way.
 */
export function ParsedField<T>(
  p: Base & {
    value: T;
    show: (v: T) => string;
    parse: (text: string) => unknown;
    onChange: (v: unknown) => void;
  },
) {
  const { readOnly } = useContext(Fields);
  const [text, setText] = useState(() => p.show(p.value));
  return (
    <Field {...p}>
      {(a) => (
        <input
          {...a}
          type="text"
          value={text}
          readOnly={readOnly}
          spellCheck={false}
          onChange={(e) => {
            setText(e.target.value);
            p.onChange(p.parse(e.target.value));
          }}
        />
      )}
    </Field>
  );
}

export function ListField(
  p: Base & { value: readonly string[] | undefined; onChange: (v: string[]) => void },
) {
  return (
    <ParsedField
      {...p}
      value={p.value ?? []}
      show={(v) => v.join(', ')}
      parse={splitList}
      onChange={(v) => p.onChange(v as string[])}
    />
  );
}

/** A number, or the text as typed when it is none (the draft check then names the field). */
export function NumberField(p: Base & { value: number | undefined; onChange: (v: unknown) => void }) {
  return (
    <ParsedField
      {...p}
      show={(v) => (v === undefined ? '' : String(v))}
      parse={(t) => (t.trim() !== '' && Number.isFinite(Number(t)) ? Number(t) : t)}
    />
  );
}

export function SelectField(
  p: Base & { value: string; options: Array<[string, string]>; onChange: (v: string) => void },
) {
  const { readOnly } = useContext(Fields);
  return (
    <Field {...p}>
      {(a) => (
        <select {...a} value={p.value} disabled={readOnly} onChange={(e) => p.onChange(e.target.value)}>
          {p.options.map(([v, label]) => (
            <option key={v} value={v}>
              {label}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

/** Which of the flow's actions run; a rule that names none runs all of the allowlist. */
export function ActionsField(
  p: Base & { value: readonly string[] | undefined; all: readonly string[]; onChange: (v: string[]) => void },
) {
  const { readOnly, problems } = useContext(Fields);
  const id = fieldId(p.path);
  const mine = problems.get(fieldPath(p.path)) ?? [];
  const on = new Set(p.value ?? p.all);
  const note =
    p.value === undefined ? 'All of the allowlist (none named).' : on.size === 0 ? 'No actions run.' : '';
  return (
    <fieldset className="field actions-field" aria-describedby={mine.length ? `${id}-err` : undefined}>
      <legend>{p.label}</legend>
      <div className="row">
        {p.all.map((a) => (
          <label key={a} className="check">
            <input
              type="checkbox"
              checked={on.has(a)}
              disabled={readOnly}
              onChange={(e) => p.onChange(p.all.filter((x) => (x === a ? e.target.checked : on.has(x))))}
            />{' '}
            {a}
          </label>
        ))}
      </div>
      {note && <span className="hint muted">{note}</span>}
      {mine.length > 0 && (
        <span className="field-error" id={`${id}-err`}>
          <span aria-hidden="true">⚠ </span>
          {mine.join('; ')}
        </span>
      )}
    </fieldset>
  );
}

/** Buttons that change the draft: not there for people who may not edit. */
export function Buttons({ children }: { children: ReactNode }) {
  const { readOnly } = useContext(Fields);
  return readOnly ? null : <div className="row">{children}</div>;
}
