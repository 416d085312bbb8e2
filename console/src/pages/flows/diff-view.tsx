// A unified diff as text: added and removed lines keep their + and - (the colour only repeats
// them); the block scrolls sideways and can be reached by keyboard.
export function DiffView({ diff, label }: { diff: string; label: string }) {
  return (
    <pre className="code diff" aria-label={label} tabIndex={0}>
      {diff.split('\n').map((l, i) => (
        <span key={i} className={l.startsWith('+') ? 'add' : l.startsWith('-') ? 'del' : undefined}>
          {l}
          {'\n'}
        </span>
      ))}
    </pre>
  );
}
