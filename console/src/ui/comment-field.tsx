// A person's free-text note on a command: the server keeps it with the event in the audit log.
interface CommentFieldProps {
  id: string;
  value: string;
  onChange: (v: string) => void;
  label?: string;
  maxLength?: number;
  autoFocus?: boolean;
}

export function CommentField({ id, value, onChange, label, maxLength, autoFocus }: CommentFieldProps) {
  return (
    <>
      <label htmlFor={id}>{label ?? 'Comment (kept in the audit log)'}</label>
      <textarea
        id={id}
        rows={2}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        maxLength={maxLength}
        autoFocus={autoFocus}
      />
    </>
  );
}

/** The request body with the comment, if one was typed (trimmed; a blank one is not sent). */
export const withComment = <T extends object>(body: T, comment: string): T & { comment?: string } =>
  comment.trim() ? { ...body, comment: comment.trim() } : body;
