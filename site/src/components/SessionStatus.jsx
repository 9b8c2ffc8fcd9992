import { gatePaths, signInUrl } from '../gatePaths.js';
import { useLocation } from '../router.jsx';
import { displayName, useSession } from '../session.jsx';

/** The return target for sign-in: where the person is now (path + query). */
export function useReturnPath() {
  const { pathname, search } = useLocation();
  return `${pathname}${search}`;
}

/** The account area of the header, for each state of the who-am-I answer. */
export function SessionStatus() {
  const session = useSession();
  const returnPath = useReturnPath();

  let body;
  if (session.status === 'loading') {
    body = <p className="session__message">Checking your session…</p>;
  } else if (session.status === 'signedIn') {
    const { user } = session;
    body = (
      <>
        <div className="session__who">
          <p className="session__name">
            <span className="visually-hidden">Signed in as </span>
            {displayName(user)}
          </p>
          {user.groups.length > 0 ? (
            <ul className="session__groups" aria-label="Your groups">
              {user.groups.map((group) => (
                <li key={group} className="badge">
                  {group}
                </li>
              ))}
            </ul>
          ) : (
            <p className="session__groups session__groups--none">No groups</p>
          )}
        </div>
        {/* A real link: sign-out is a full page navigation to the gate, never a fetch. */}
        <a className="button button--quiet" href={gatePaths.signOut}>
          Sign out
        </a>
      </>
    );
  } else if (session.status === 'signedOut') {
    body = (
      <>
        <p className="session__message">You’re signed out.</p>
        <a className="button" href={signInUrl(gatePaths, returnPath)}>
          Sign in
        </a>
      </>
    );
  } else {
    body = (
      <>
        <p className="session__message session__message--error">
          We couldn’t check your session.
          <span className="session__reason"> {session.reason}</span>
        </p>
        <button type="button" className="button" onClick={() => session.refresh()}>
          Retry
        </button>
      </>
    );
  }

  return (
    <section className="session" aria-label="Your session" aria-live="polite">
      {body}
    </section>
  );
}

/** Shown at the top of the page when the gate says nobody is signed in. */
export function SignedOutNotice() {
  const session = useSession();
  const returnPath = useReturnPath();
  if (session.status !== 'signedOut') return null;
  return (
    <section className="notice notice--signed-out" aria-labelledby="signed-out-title">
      <h2 id="signed-out-title" className="notice__title">
        Your session has ended
      </h2>
      <p>
        Field Notes is only for the Acme field team. Sign in again and you’ll come straight
        back to this page.
      </p>
      <p>
        <a className="button" href={signInUrl(gatePaths, returnPath)}>
          Sign in to Field Notes
        </a>
      </p>
    </section>
  );
}
