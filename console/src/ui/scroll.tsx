// A box that scrolls sideways on a narrow screen (a wide table on a phone) instead of widening
// the page. It takes focus, so keyboard users can scroll it too, and is named for screen readers.
import type { ReactNode } from 'react';

export function Scroll({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="scroll" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}
