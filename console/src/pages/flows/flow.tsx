// One flow's definition.
import { useParams } from 'react-router';
import type { FlowDetail } from '../../api/types.ts';
import { ErrorNote, Loading } from '../../ui/notes.tsx';
import { useApi } from '../../ui/use-api.ts';

export default function FlowPage() {
  const { flow = '' } = useParams();
  const { data, error } = useApi<FlowDetail>(`/v1/flows/${encodeURIComponent(flow)}`);
  if (error) return <ErrorNote error={error} />;
  if (!data) return <Loading what={`flow ${flow}`} />;
  return (
    <article aria-labelledby="flow-title">
      <h1 id="flow-title">{typeof data.definition.name === 'string' ? data.definition.name : data.id}</h1>
      <pre className="code">{JSON.stringify(data.definition, null, 2)}</pre>
    </article>
  );
}
