// Who is using the console: asked of GET /v1/session on load. No session (401) sends the page to
// sign-in; an anonymous loopback caller gets a read-only console. `can` mirrors the server's
// access levels only to hide buttons: the server checks every call again.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, ApiError, setCsrfToken } from './api/client.ts';
import type { Session } from './api/types.ts';

export type Right = 'read' | 'act' | 'operate' | 'admin';

export interface SessionState {
  /** undefined while loading; null when signed out (sign-in needed). */
  session: Session | null | undefined;
  user: string | null;
  access: Session['access'] | null;
  anonymous: boolean;
  /** Every owner the person acts for: user:ID, their teams and roles. */
  owners: string[];
  can: (right: Right) => boolean;
  signIn: (token: string) => Promise<void>;
  signOut: () => Promise<void>;
  /** The error of the last load, when the server could not be asked. */
  error: ApiError | null;
}

const SessionContext = createContext<SessionState | null>(null);

const RANK: Record<Session['access'], number> = { anonymous: 0, intake: 0, viewer: 1, operator: 2, admin: 3 };

export function allows(access: Session['access'] | null | undefined, right: Right): boolean {
  if (!access) return false;
  if (right === 'read') return access !== 'intake';
  // `act` is the server's: any reader may act on work they own and vote where a flow names them
  // an approver (the server checks which); `operate` is acting on anyone's work.
  if (right === 'act') return RANK[access] >= RANK.viewer;
  if (right === 'operate') return RANK[access] >= RANK.operator;
  return access === 'admin';
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [error, setError] = useState<ApiError | null>(null);

  const adopt = useCallback((s: Session | null) => {
    setCsrfToken(s?.csrf ?? null);
    setSession(s);
  }, []);

  useEffect(() => {
    api.get<Session>('/v1/session').then(
      (s) => adopt(s),
      (e: unknown) => {
        if (e instanceof ApiError && (e.status === 401 || e.status === 403)) adopt(null);
        else {
          setError(e instanceof ApiError ? e : new ApiError(0, 'error', String(e)));
          adopt(null);
        }
      },
    );
  }, [adopt]);

  const signIn = useCallback(
    async (token: string) => {
      const s = await api.post<Session>('/v1/session', { token });
      setError(null);
      adopt(s);
    },
    [adopt],
  );
  const signOut = useCallback(async () => {
    await api.del('/v1/session');
    // Back to what the server grants without a token (read-only on loopback), or sign-in.
    try {
      adopt(await api.get<Session>('/v1/session'));
    } catch {
      adopt(null);
    }
  }, [adopt]);

  const value = useMemo<SessionState>(() => {
    const s = session ?? null;
    return {
      session,
      user: s?.user ?? null,
      access: s?.access ?? null,
      anonymous: s?.access === 'anonymous',
      owners: s?.user ? [`user:${s.user}`, ...s.teams, ...s.roles] : [],
      can: (right) => allows(s?.access, right),
      signIn,
      signOut,
      error,
    };
  }, [session, signIn, signOut, error]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionState {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}
