// The frame around every page: a skip link, the navigation, who is signed in, whether live
// updates are connected. On a phone the navigation wraps under the title.
import { NavLink, Outlet, useNavigate } from 'react-router';
import { useLiveStatus } from '../live.ts';
import { useSession } from '../session.tsx';

const PAGES: Array<[string, string]> = [
  ['/', 'Board'],
  ['/inbox', 'Inbox'],
  ['/dashboard', 'Dashboard'],
  ['/flows', 'Flows'],
  ['/audit', 'Audit'],
];

export function Layout() {
  const s = useSession();
  const live = useLiveStatus();
  const navigate = useNavigate();
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">Baton</span>
        <nav aria-label="Pages">
          <ul>
            {PAGES.map(([to, label]) => (
              <li key={to}>
                <NavLink to={to} end={to === '/'}>
                  {label}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <div className="who">
          <span className={`live ${live ? 'live-on' : 'live-off'}`} role="status">
            <span aria-hidden="true">{live ? '●' : '○'}</span> {live ? 'Live' : 'Not live'}
          </span>
          {s.anonymous ? (
            <>
              <span>Read-only</span>
              <button type="button" onClick={() => void navigate('/sign-in')}>
                Sign in
              </button>
            </>
          ) : (
            <>
              <span>
                {s.user} <span className="muted">({s.access})</span>
              </span>
              <button
                type="button"
                onClick={() => {
                  void s.signOut().then(() => navigate('/'));
                }}
              >
                Sign out
              </button>
            </>
          )}
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
    </>
  );
}
