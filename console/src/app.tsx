// The console's pages. Each page is its own chunk, loaded when first opened, so the first load
// carries only the frame and the board.
import { lazy, Suspense, type ReactNode } from 'react';
import { createBrowserRouter, Navigate, useLocation } from 'react-router';
import { RouterProvider } from 'react-router/dom';
import { SessionProvider, useSession } from './session.tsx';
import { Layout } from './ui/layout.tsx';
import { ErrorNote, Loading } from './ui/notes.tsx';
import { Board } from './pages/board/board.tsx';
import { SignIn } from './pages/sign-in/sign-in.tsx';

const HandoffPage = lazy(() => import('./pages/handoff/handoff.tsx'));
const Inbox = lazy(() => import('./pages/inbox/inbox.tsx'));
const Dashboard = lazy(() => import('./pages/dashboard/dashboard.tsx'));
const Flows = lazy(() => import('./pages/flows/flows.tsx'));
const FlowPage = lazy(() => import('./pages/flows/flow.tsx'));
const Audit = lazy(() => import('./pages/audit/audit.tsx'));

/** Pages need a session (a signed-in token, or the anonymous read right on loopback). */
function Guard({ children }: { children: ReactNode }) {
  const s = useSession();
  const at = useLocation();
  if (s.session === undefined) return <Loading what="the console" />;
  if (s.session === null) {
    return (
      <>
        <ErrorNote error={s.error} />
        <Navigate to={`/sign-in?next=${encodeURIComponent(at.pathname + at.search)}`} replace />
      </>
    );
  }
  return <>{children}</>;
}

const page = (el: ReactNode) => <Suspense fallback={<Loading what="the page" />}>{el}</Suspense>;

const router = createBrowserRouter([
  { path: '/sign-in', element: <SignIn /> },
  {
    element: (
      <Guard>
        <Layout />
      </Guard>
    ),
    children: [
      { index: true, element: <Board /> },
      { path: 'handoffs/:id', element: page(<HandoffPage />) },
      { path: 'inbox', element: page(<Inbox />) },
      { path: 'dashboard', element: page(<Dashboard />) },
      { path: 'flows', element: page(<Flows />) },
      { path: 'flows/:flow', element: page(<FlowPage />) },
      { path: 'audit', element: page(<Audit />) },
      { path: '*', element: <p>No such page.</p> },
    ],
  },
]);

export function App() {
  return (
    <SessionProvider>
      <RouterProvider router={router} />
    </SessionProvider>
  );
}
