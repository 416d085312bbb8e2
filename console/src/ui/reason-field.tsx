// The typed reasons work goes back for (rework), as the API takes them, with words for people.
import { RETURN_REASONS, type ReturnReason } from '../../../src/core/types.ts';

const WORDS: Record<ReturnReason, string> = {
  missing_info: 'Missing information',
  wrong_owner: 'Wrong owner',
  wrong_priority: 'Wrong priority',
  duplicate: 'Duplicate',
  not_actionable: 'Not actionable',
  other: 'Other',
};

/** The reason a person returns or declines work; it takes focus as the dialog's first field. */
export function ReasonField({
  id,
  value,
  onChange,
}: {
  id: string;
  value: string;
  onChange: (v: string) => void;
}) {
  return (
    <>
      <label htmlFor={id}>Reason</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)} autoFocus>
        {RETURN_REASONS.map((r) => (
          <option key={r} value={r}>
            {WORDS[r]}
          </option>
        ))}
      </select>
    </>
  );
}
