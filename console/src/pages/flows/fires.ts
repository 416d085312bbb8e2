// When a trigger last fired, in words. The HTTP intake route (`webhook`) and `manual` are not
// counted (intake is a hot path): they say nothing rather than "never fired".
import { ago } from '../../ui/time.ts';

export interface Fires {
  lastFiredAt?: string | undefined;
  fired?: number | undefined;
  failed?: number | undefined;
}

export function firedText(t: Fires): string {
  if (t.lastFiredAt) {
    const counts =
      t.fired !== undefined ? ` (${t.fired} fired${t.failed ? `, ${t.failed} failed` : ''})` : '';
    return `last fired ${ago(t.lastFiredAt)}${counts}`;
  }
  return t.fired === undefined ? '' : 'never fired';
}
