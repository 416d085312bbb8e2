// The audit chain: verify it.
import type { AuditVerify } from '../../api/types.ts';
import { ErrorNote, Loading } from '../../ui/notes.tsx';
import { useApi } from '../../ui/use-api.ts';

export default function Audit() {
  const { data, error } = useApi<AuditVerify>('/v1/audit/verify');
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit</h1>
      <ErrorNote error={error} />
      {!data && !error && <Loading what="the verification" />}
      {data && (
        <p role="status">
          {data.ok
            ? `The chain is intact (${data.checked} handoffs checked).`
            : `${data.problems.length} problems found.`}
        </p>
      )}
    </section>
  );
}
