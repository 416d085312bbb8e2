// A handoff's state and owner as text first (never colour alone): the colour only repeats it.

const TONE: Record<string, string> = {
  handed_off: 'wait',
  returned: 'warn',
  escalated: 'bad',
  failed: 'bad',
  awaiting_approval: 'wait',
  accepted: 'ok',
  completed: 'done',
  cancelled: 'done',
  rolled_back: 'done',
};

export function StateBadge({ state }: { state: string }) {
  return <span className={`badge badge-${TONE[state] ?? 'busy'}`}>{state.replaceAll('_', ' ')}</span>;
}

export function Owner({ owner }: { owner: string }) {
  const [kind, id] = owner.includes(':') ? owner.split(/:(.*)/s, 2) : ['user', owner];
  return (
    <span className="owner" title={owner}>
      <span className="owner-kind">{kind}</span> {id}
    </span>
  );
}

export function Breached({ breached }: { breached: boolean }) {
  if (!breached) return null;
  return (
    <span className="badge badge-bad" title="The SLA was breached">
      <span aria-hidden="true">⚠ </span>SLA breached
    </span>
  );
}
