import { Suspense } from 'react';
import { Footer } from './components/Footer.jsx';
import { Header } from './components/Header.jsx';
import { PageLoadProblem } from './components/PageLoadProblem.jsx';
import { SignedOutNotice } from './components/SessionStatus.jsx';
import { GateErrorBoundary } from 'gate-session/react';
import { Router, useLocation, normalizePath } from './router.jsx';
import { matchRoute } from './routes.jsx';
import { SessionProvider } from './session.jsx';

function CurrentPage() {
  const { pathname } = useLocation();
  const PageComponent = matchRoute(pathname);
  return <PageComponent key={normalizePath(pathname)} />;
}

function Loading() {
  return (
    <p className="loading" role="status">
      Loading…
    </p>
  );
}

export function Layout() {
  const { pathname } = useLocation();
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to main content
      </a>
      <Header />
      <main id="main" className="site-main" tabIndex={-1}>
        <SignedOutNotice />
        {/* Keyed by page: moving to another page clears a load problem. */}
        <GateErrorBoundary key={normalizePath(pathname)} fallback={PageLoadProblem}>
          <Suspense fallback={<Loading />}>
            <CurrentPage />
          </Suspense>
        </GateErrorBoundary>
      </main>
      <Footer />
    </>
  );
}

export default function App({ fetchImpl }) {
  return (
    <Router>
      <SessionProvider fetchImpl={fetchImpl}>
        <Layout />
      </SessionProvider>
    </Router>
  );
}
