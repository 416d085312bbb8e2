// From a parsed flow file to a CompiledFlow: schema check (zod), then semantic checks (CEL
// syntax and types, owners, action references, duplicate ids, contract paths, the input schema
// itself), all errors collected with file, line, column and field path.
import type { ErrorDetail } from '../core/errors.ts';
import { compileTriggers, type CompiledTriggers } from './triggers.ts';
import { parseDuration } from '../core/duration.ts';
import { flowSchema, type FlowDef } from '../core/flow-schema.ts';
import { isOwnerRef, type OwnerRef } from '../core/owner.ts';
import type { CelVars, CompiledAction, CompiledFlow } from './compiled.ts';
import { contentHash } from './canonical.ts';
import { asArray, FlowChecker, isRecord } from './checker.ts';
import { compileInputValidator, type InputValidator } from './validate-input.ts';
import type { Path, YamlSource } from './yaml-source.ts';

const CONTRACT_PATH = /^(input|context|decision)(\.[A-Za-z_][A-Za-z0-9_]*)+$/;

/** Checks every expression site of a (possibly schema-invalid) flow: walks the data defensively. */
function checkSites(c: FlowChecker, d: Record<string, unknown>): void {
  c.expr(['idempotencyKey'], d['idempotencyKey']);
  c.expr(['requester'], d['requester']);

  const names = new Map<string, number>();
  asArray(d['context']).forEach((s, i) => {
    if (!isRecord(s)) return;
    const name = s['name'];
    if (typeof name === 'string') {
      const prev = names.get(name);
      if (prev !== undefined)
        c.error(['context', i, 'name'], `duplicate context name "${name}" (also context[${prev}])`);
      else names.set(name, i);
    }
    c.expr(['context', i, 'when'], s['when'], 'bool');
    c.params(['context', i, 'with'], s['with']);
    const fb = s['fallback'];
    if (isRecord(fb)) c.params(['context', i, 'fallback', 'with'], fb['with']);
  });

  const actionIds = new Map<string, number>();
  asArray(d['actions']).forEach((a, i) => {
    if (!isRecord(a)) return;
    const id = a['id'];
    if (typeof id === 'string') {
      const prev = actionIds.get(id);
      if (prev !== undefined)
        c.error(['actions', i, 'id'], `duplicate action id "${id}" (also actions[${prev}])`);
      else actionIds.set(id, i);
    }
    c.expr(['actions', i, 'when'], a['when'], 'bool');
    c.expr(['actions', i, 'idempotencyKey'], a['idempotencyKey']);
    c.params(['actions', i, 'with'], a['with']);
    if (typeof a['cost'] === 'string') c.expr(['actions', i, 'cost'], a['cost']);
    const approval = a['approval'];
    if (isRecord(approval)) {
      c.expr(['actions', i, 'approval', 'when'], approval['when'], 'bool');
      asArray(approval['levels']).forEach((l, j) => {
        if (isRecord(l)) c.expr(['actions', i, 'approval', 'levels', j, 'when'], l['when'], 'bool');
      });
    }
    const rb = a['rollback'];
    if (isRecord(rb)) c.params(['actions', i, 'rollback', 'with'], rb['with']);
    const fb = a['fallback'];
    if (isRecord(fb)) c.params(['actions', i, 'fallback', 'with'], fb['with']);
  });

  const checkRefs = (path: Path, list: unknown): void => {
    asArray(list).forEach((ref, j) => {
      if (typeof ref === 'string' && !actionIds.has(ref)) {
        const known = [...actionIds.keys()];
        c.error(
          [...path, j],
          `unknown action "${ref}": ${known.length ? `the flow's actions are ${known.join(', ')}` : 'the flow declares no actions'}`,
        );
      }
    });
  };

  const decide = isRecord(d['decide']) ? d['decide'] : {};
  asArray(decide['rules']).forEach((r, i) => {
    if (!isRecord(r)) return;
    c.expr(['decide', 'rules', i, 'when'], r['when'], 'bool');
    c.owner(['decide', 'rules', i, 'owner'], r['owner']);
    checkRefs(['decide', 'rules', i, 'actions'], r['actions']);
  });
  const otherwise = decide['otherwise'];
  if (isRecord(otherwise)) {
    c.owner(['decide', 'otherwise', 'owner'], otherwise['owner']);
    checkRefs(['decide', 'otherwise', 'actions'], otherwise['actions']);
  }
  if (isRecord(decide['llm'])) checkRefs(['decide', 'llm', 'actions'], decide['llm']['actions']);

  const handoff = d['handoff'];
  if (isRecord(handoff)) c.owner(['handoff', 'to'], handoff['to'] ?? '${decision.owner}');

  const contract = d['contract'];
  if (isRecord(contract)) {
    asArray(contract['required']).forEach((p, i) => {
      if (typeof p !== 'string') return;
      if (!CONTRACT_PATH.test(p)) {
        c.error(
          ['contract', 'required', i],
          `"${p}" is not a contract path: write input.<field>, context.<name>… or decision.<field>`,
        );
      } else if (p.startsWith('input.')) {
        c.expr(['contract', 'required', i], p);
      }
    });
  }
}

const ownerOrUndefined = (s: string | undefined): OwnerRef | undefined =>
  s !== undefined && isOwnerRef(s) ? s : undefined;

function segmentsOf(path: string): string[] {
  return path.split('.');
}

function readSeg(v: unknown, seg: string): unknown {
  if (v instanceof Map) return v.get(seg);
  if (typeof v === 'object' && v !== null) return Reflect.get(v, seg);
  return undefined;
}

/** Assembles the CompiledFlow from a schema-valid def; every expression is already compiled. */
function assemble(
  c: FlowChecker,
  def: FlowDef,
  src: YamlSource,
  validateInput: InputValidator,
  triggers: CompiledTriggers,
): CompiledFlow {
  const cel = c.must(c.cel, ['input']);
  const ms = (text: string | undefined): number | undefined =>
    text === undefined ? undefined : parseDuration(text);

  const actions: CompiledAction[] = def.actions.map((a, i) => {
    const approval = a.approval;
    const rollback = a.rollback;
    return {
      def: a,
      with: c.must(c.params(['actions', i, 'with'], a.with), ['actions', i, 'with']),
      when: c.expr(['actions', i, 'when'], a.when, 'bool'),
      idempotencyKey: c.expr(['actions', i, 'idempotencyKey'], a.idempotencyKey),
      approval: approval && {
        when: c.expr(['actions', i, 'approval', 'when'], approval.when, 'bool'),
        levels: approval.levels.map((l, j) => ({
          name: l.name,
          approvers: l.approvers,
          quorum: l.quorum,
          when: c.expr(['actions', i, 'approval', 'levels', j, 'when'], l.when, 'bool'),
        })),
        timeoutMs: ms(approval.timeout),
        remindBeforeMs: (approval.remindBefore ?? []).map((r) => ms(r)!).sort((x, y) => y - x),
        onTimeout: approval.onTimeout,
        onReject: approval.onReject,
        version: contentHash(approval),
      },
      rollback:
        rollback === undefined
          ? undefined
          : typeof rollback === 'string'
            ? { use: rollback }
            : { use: rollback.use, with: c.params(['actions', i, 'rollback', 'with'], rollback.with) },
      retry: { attempts: a.retry?.attempts ?? 3, backoffMs: ms(a.retry?.backoff) ?? 1000 },
      ...(a.fallback
        ? {
            fallback: {
              use: a.fallback.use,
              with: c.must(c.params(['actions', i, 'fallback', 'with'], a.fallback.with), [
                'actions',
                i,
                'fallback',
                'with',
              ]),
            },
          }
        : {}),
      ...(a.cost === undefined
        ? {}
        : {
            cost:
              typeof a.cost === 'number'
                ? { usd: a.cost }
                : { expr: c.must(c.expr(['actions', i, 'cost'], a.cost), ['actions', i, 'cost']) },
          }),
    };
  });

  const contract = def.contract?.required ?? [];
  const contractSegs = contract.map(segmentsOf);
  const otherwiseOwner = def.decide.otherwise.owner;

  return {
    def,
    version: contentHash(def),
    file: src.file,
    source: src.text,
    validateInput,
    triggers,
    celInput: (input) => cel.celInput(input),
    idempotencyKey: c.expr(['idempotencyKey'], def.idempotencyKey),
    requester: c.expr(['requester'], def.requester),
    context: def.context.map((s, i) => ({
      name: s.name,
      use: s.use,
      with: c.must(c.params(['context', i, 'with'], s.with), ['context', i, 'with']),
      when: c.expr(['context', i, 'when'], s.when, 'bool'),
      // Absent: the source's own declared trust applies.
      ...(s.trust ? { trust: s.trust } : {}),
      ...(s.fallback
        ? {
            fallback: {
              use: s.fallback.use,
              with: c.must(c.params(['context', i, 'fallback', 'with'], s.fallback.with), [
                'context',
                i,
                'fallback',
                'with',
              ]),
            },
          }
        : {}),
    })),
    rules: def.decide.rules.map((r, i) => ({
      index: i,
      name: r.name,
      when: c.must(c.expr(['decide', 'rules', i, 'when'], r.when, 'bool'), ['decide', 'rules', i, 'when']),
      owner: c.must(c.owner(['decide', 'rules', i, 'owner'], r.owner), ['decide', 'rules', i, 'owner']),
      actions: r.actions,
    })),
    otherwise: {
      owner: c.must(c.owner(['decide', 'otherwise', 'owner'], otherwiseOwner), [
        'decide',
        'otherwise',
        'owner',
      ]),
      actions: def.decide.otherwise.actions,
    },
    actions,
    handoffTo: c.must(c.owner(['handoff', 'to'], def.handoff.to), ['handoff', 'to']),
    acceptWithinMs: ms(def.handoff.acceptWithin),
    fallbackOwner: ownerOrUndefined(def.handoff.fallbackOwner ?? otherwiseOwner),
    ladder: def.handoff.escalate.map((s) => ({
      afterMs: parseDuration(s.after) ?? 0,
      remind: s.remind,
      to: s.to === 'manager' ? 'manager' : ownerOrUndefined(s.to),
      ...(s.decide
        ? { decide: typeof s.decide === 'string' ? s.decide : { reassign: s.decide.reassign } }
        : {}),
    })),
    contract,
    missingContract(vars: CelVars): string[] {
      const missing: string[] = [];
      for (let i = 0; i < contractSegs.length; i++) {
        const segs = contractSegs[i]!;
        let v: unknown = vars;
        for (const seg of segs) v = readSeg(v, seg);
        if (v === undefined || v === null || v === '') missing.push(contract[i]!);
      }
      return missing;
    },
  };
}

export interface FlowCheckResult {
  flow?: CompiledFlow;
  errors: ErrorDetail[];
}

/** Checks and compiles the data of one flow file. */
export function compileFlowData(data: unknown, src: YamlSource): FlowCheckResult {
  if (!isRecord(data)) {
    return { errors: [src.detail([], 'a flow file must be a YAML mapping (id: …, name: …, …)')] };
  }
  const parsed = flowSchema.safeParse(data);
  const schemaErrors = parsed.success ? [] : src.zodDetails(parsed.error);
  const d: Record<string, unknown> = parsed.success ? parsed.data : data;
  const c = new FlowChecker(src, d);

  let validateInput: InputValidator | undefined;
  if (isRecord(d['input'])) {
    try {
      validateInput = compileInputValidator(d['input']);
    } catch (e) {
      c.error(['input'], `not a valid JSON Schema: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  checkSites(c, d);
  let triggers: CompiledTriggers | undefined;
  if (parsed.success && isRecord(d['input'])) {
    const t = compileTriggers(parsed.data.trigger, d['input']);
    for (const p of t.problems)
      c.error(p.path, p.message, p.offset !== undefined ? c.src.locateInString(p.path, p.offset) : undefined);
    triggers = t.triggers;
  }

  const zodPaths = new Set(schemaErrors.map((e) => e.path));
  const errors = [...schemaErrors, ...c.errors.filter((e) => !zodPaths.has(e.path))];
  if (errors.length > 0 || !parsed.success || !validateInput || !triggers) return { errors };
  return { flow: assemble(c, parsed.data, src, validateInput, triggers), errors: [] };
}
