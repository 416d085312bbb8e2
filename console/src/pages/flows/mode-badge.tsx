// A flow's mode in words, with what it means on hover; colour only repeats the word.
const MEANS: Record<string, [string, string]> = {
  shadow: ['badge-done', 'decides and records only; acts on nothing'],
  suggest: ['badge-wait', 'a person confirms each decision'],
  auto: ['badge-ok', 'decides and acts'],
};

export function ModeBadge({ mode }: { mode: string }) {
  const [tone, means] = MEANS[mode] ?? ['badge-busy', ''];
  return (
    <span className={`badge ${tone}`} title={means}>
      mode {mode}
    </span>
  );
}
