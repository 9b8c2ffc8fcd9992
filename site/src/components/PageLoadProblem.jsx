import { Page } from './Page.jsx';

/**
 * What a page shows when it could not be loaded (GateErrorBoundary's fallback): either the
 * session has really ended (signed out in another tab, the refresh was refused), with a
 * sign-in link that comes back to this very page, or another failure, with Try again and
 * Reload.
 */
export function PageLoadProblem({ ended, signInUrl, retry, reload }) {
  if (ended) {
    return (
      <Page title="Signed out" heading="Sign in again to see this page">
        <div className="notice notice--warning" role="alert">
          <p>
            Your session has ended: you may have signed out in another tab, or been away too
            long. Sign in again and you’ll come straight back here.
          </p>
          <p>
            <a className="button" href={signInUrl}>
              Sign in again
            </a>
          </p>
        </div>
      </Page>
    );
  }
  return (
    <Page title="Page not loaded" heading="This page couldn’t be loaded">
      <div className="notice notice--error" role="alert">
        <p>
          The connection may have dropped, or the site has just been updated. Try again, or
          reload the page to get the latest version.
        </p>
        <p>
          <button type="button" className="button" onClick={retry}>
            Try again
          </button>{' '}
          <button type="button" className="button button--quiet" onClick={reload}>
            Reload the page
          </button>
        </p>
      </div>
    </Page>
  );
}
