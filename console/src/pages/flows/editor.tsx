// The flow editor: a form over the parts ops people change. Every edit is checked as a draft by
// the server (debounced), which answers the new YAML, what keeps it from loading (line and
// field) and the diff; the flow's eval cases run on the draft; saving writes the file (comments
// kept) as a new version. Only an admin edits; everyone else sees the same form read-only.
import { useEffect, useMemo, useRef, useState } from 'react';
import { api, ApiError } from '../../api/client.ts';
import type {
  FlowChange,
  FlowDefinition,
  FlowDetail,
  FlowDraft,
  FlowEval,
  FlowSaved,
} from '../../api/types.ts';
import { useConfirm } from '../../ui/confirm.tsx';
import { ErrorNote } from '../../ui/notes.tsx';
import { addChange, applyChange } from './edit-ops.ts';
import { Fields } from './editor-fields.tsx';
import { GuardrailsSection, HandoffSection } from './editor-limits.tsx';
import { GatesSection, ModeSection, RulesSection } from './editor-sections.tsx';
import { DiffView } from './diff-view.tsx';
import { EvalResults } from './eval-results.tsx';

const DRAFT_DELAY_MS = 350;
const asError = (e: unknown) => (e instanceof ApiError ? e : new ApiError(0, 'error', String(e)));

export function FlowEditor(p: { detail: FlowDetail; canEdit: boolean; onSaved: (s: FlowSaved) => void }) {
  const { detail, canEdit } = p;
  const flow = encodeURIComponent(detail.id);
  const original = detail.definition as unknown as FlowDefinition;
  const [ops, setOps] = useState<FlowChange[]>([]);
  // Discarding starts the form over (fields that keep the text as typed forget it too).
  const [generation, setGeneration] = useState(0);
  const def = useMemo(() => ops.reduce((d, c) => applyChange(d, c), original), [ops, original]);
  const edit = (c: FlowChange) => {
    if (canEdit) setOps((o) => addChange(o, c));
  };

  // The draft: checked by the server a moment after the last edit; a late answer is dropped.
  const [draft, setDraft] = useState<FlowDraft | null>(null);
  const [draftError, setDraftError] = useState<ApiError | null>(null);
  const [checking, setChecking] = useState(false);
  const asked = useRef(0);
  useEffect(() => {
    if (!canEdit || ops.length === 0) {
      setDraft(null);
      setDraftError(null);
      setChecking(false);
      return;
    }
    setChecking(true);
    const n = ++asked.current;
    const timer = setTimeout(() => {
      api.post<FlowDraft>(`/v1/flows/${flow}/draft`, { changes: ops }).then(
        (d) => {
          if (n !== asked.current) return;
          setDraft(d);
          setDraftError(null);
          setChecking(false);
        },
        (e: unknown) => {
          if (n !== asked.current) return;
          setDraftError(asError(e));
          setChecking(false);
        },
      );
    }, DRAFT_DELAY_MS);
    return () => clearTimeout(timer);
  }, [ops, canEdit, flow]);

  const [evalResult, setEvalResult] = useState<FlowEval | null>(null);
  const [evalError, setEvalError] = useState<ApiError | null>(null);
  const [running, setRunning] = useState(false);
  const runEval = () => {
    if (!draft) return;
    setRunning(true);
    setEvalError(null);
    api.post<FlowEval>(`/v1/flows/${flow}/eval`, { yaml: draft.yaml }).then(
      (r) => {
        setEvalResult(r);
        setRunning(false);
      },
      (e: unknown) => {
        setEvalError(asError(e));
        setRunning(false);
      },
    );
  };

  const { confirm, dialog } = useConfirm();
  const [saveError, setSaveError] = useState<ApiError | null>(null);
  const [saving, setSaving] = useState(false);
  const ready = !!draft && draft.valid && draft.changed && !checking;
  const evaluated = ready && evalResult?.version === draft.version;
  const save = async () => {
    if (!draft || !evaluated || !evalResult) return;
    const failing = evalResult.failed;
    const ok = await confirm(
      'Save as a new version?',
      'Save',
      <p>
        The file is written with this diff and goes live for new handoffs; running handoffs keep their
        version.{' '}
        {failing > 0
          ? `${failing} eval case${failing === 1 ? '' : 's'} fail on this draft.`
          : 'Every eval case passes.'}
      </p>,
    );
    if (!ok) return;
    setSaving(true);
    setSaveError(null);
    try {
      const saved = await api.put<FlowSaved>(`/v1/flows/${flow}`, {
        yaml: draft.yaml,
        expectedVersion: draft.baseVersion,
      });
      p.onSaved(saved);
    } catch (e) {
      setSaveError(asError(e));
      setSaving(false);
    }
  };

  const problems = useMemo(() => {
    const m = new Map<string, string[]>();
    for (const e of draft?.errors ?? []) m.set(e.path, [...(m.get(e.path) ?? []), e.message]);
    return m;
  }, [draft]);

  if (/\.flow\.(ts|mts|js|mjs)$/.test(detail.file))
    return (
      <p className="muted">
        This flow is written in TypeScript (<code>{detail.file}</code>): edit it there. The console edits YAML
        flow files.
      </p>
    );

  const stale = checking || (ops.length > 0 && !draft && !draftError);
  return (
    <Fields.Provider value={{ readOnly: !canEdit, problems }}>
      {!canEdit && (
        <p className="note note-info" role="note">
          Read-only: only an admin token can edit this flow.
        </p>
      )}
      <div className={canEdit ? 'editor-layout' : undefined}>
        <form
          key={generation}
          className="editor"
          aria-label={`Edit ${detail.id}`}
          onSubmit={(e) => e.preventDefault()}
        >
          <ModeSection def={def} edit={edit} />
          <RulesSection def={def} edit={edit} />
          <GatesSection def={def} edit={edit} />
          <HandoffSection def={def} edit={edit} />
          <GuardrailsSection def={def} edit={edit} />
        </form>
        {canEdit && (
          <section className="draft" aria-labelledby="draft-title">
            <h3 id="draft-title">Draft</h3>
            <p role="status" className="draft-status">
              {ops.length === 0
                ? 'No changes yet.'
                : stale
                  ? 'Checking the draft…'
                  : draft?.valid
                    ? `The draft loads (version ${draft.version?.slice(0, 12)}).`
                    : draft
                      ? `The draft does not load: ${draft.errors.length} problem${draft.errors.length === 1 ? '' : 's'}.`
                      : ''}
            </p>
            <ErrorNote error={draftError} />
            {draft && draft.errors.length > 0 && (
              <ul className="problems" aria-label="Problems">
                {draft.errors.map((e, i) => (
                  <li key={i}>
                    <span aria-hidden="true">⚠ </span>
                    {e.line !== undefined && <span className="muted">line {e.line} </span>}
                    <code>{e.path || '(file)'}</code>: {e.message}
                  </li>
                ))}
              </ul>
            )}
            {draft?.diff && (
              <details open>
                <summary>Diff of the YAML</summary>
                <DiffView diff={draft.diff} label="Diff of the YAML" />
              </details>
            )}
            {draft && (
              <details>
                <summary>The draft's YAML</summary>
                <pre className="code" aria-label="The draft's YAML" tabIndex={0}>
                  {draft.yaml}
                </pre>
              </details>
            )}
            <div className="row">
              <button type="button" onClick={runEval} disabled={!ready || running}>
                {running ? 'Running the eval cases…' : 'Run the eval cases on the draft'}
              </button>
              <button
                type="button"
                className="primary"
                onClick={() => void save()}
                disabled={!evaluated || saving}
              >
                {saving ? 'Saving…' : 'Save as a new version'}
              </button>
              <button
                type="button"
                onClick={() => {
                  setOps([]);
                  setEvalResult(null);
                  setGeneration((g) => g + 1);
                }}
                disabled={ops.length === 0 || saving}
              >
                Discard changes
              </button>
            </div>
            {ready && !evaluated && <p className="muted">Run the eval cases on this draft before saving.</p>}
            <ErrorNote error={evalError} />
            {evalResult && draft && evalResult.version === draft.version && (
              <EvalResults result={evalResult} label="Eval on the draft" />
            )}
            <ErrorNote error={saveError} />
          </section>
        )}
      </div>
      {dialog}
    </Fields.Provider>
  );
}
