// Sign-in: paste an API token (`baton token create USER --access viewer|operator|admin`, or the
// first-run token `baton serve` printed). The server keeps it in an httpOnly cookie; the page
// never stores it.
import { useState, type FormEvent } from 'react';
import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { ApiError } from '../../api/client.ts';
import { useSession } from '../../session.tsx';
import { ErrorNote } from '../../ui/notes.tsx';

export function SignIn() {
  const s = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [token, setToken] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const next = safeNext(params.get('next'));
  if (s.session && !s.anonymous) return <Navigate to={next} replace />;

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    try {
      await s.signIn(token.trim());
      setToken('');
      void navigate(next, { replace: true });
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, 'error', String(err)));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" className="sign-in">
      <h1>Sign in to Baton</h1>
      <form onSubmit={(e) => void submit(e)}>
        <label htmlFor="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="off"
          spellCheck={false}
          required
          value={token}
          onChange={(e) => setToken(e.target.value)}
          aria-describedby="token-help"
        />
        <p id="token-help" className="muted">
          Create one with <code>baton token create USER --access operator</code>; <code>baton serve</code>{' '}
          prints a first-run admin token on a new store. It is kept in a secure cookie, not in this page.
        </p>
        <ErrorNote error={error} />
        <button type="submit" className="primary" disabled={busy || token.trim() === ''}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      {s.session?.access === 'anonymous' && (
        <p>
          <a href="/">Continue read-only</a>
        </p>
      )}
    </main>
  );
}

/** Only a path of this console: `next` comes from the URL and must not send people elsewhere. */
function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}
