// The audit page: search the event log (who did what to which handoff, when) and verify that the
// log is what the engine wrote.
import { ChainCheck } from './chain-check.tsx';
import { EventSearch } from './event-search.tsx';
import './audit.css';

export default function Audit() {
  return (
    <section aria-labelledby="audit-title" className="audit">
      <h1 id="audit-title">Audit</h1>
      <ChainCheck />
      <EventSearch />
    </section>
  );
}
