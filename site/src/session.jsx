// Who is signed in, as the gate's who-am-I endpoint tells it, kept fresh by the gate-session
// module (src/gateSession/): it refreshes before expiresAt, when a tab is shown again, and
// once per browser across tabs. The site never reads tokens or cookies.
import { createContext, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { getJson } from './api.js';
import { gatePaths } from './gatePaths.js';
import { createGateSession, getDefaultGateSession, setDefaultGateSession } from 'gate-session';

const SessionContext = createContext(null);

/** The group the gate's rules reserve /admin and /admin/* for. */
export const ADMIN_GROUP = 'Admin';

function normalizeUser(user, expiresAt) {
  const text = (v) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null);
  const groups = Array.isArray(user.groups)
    ? user.groups.filter((g) => typeof g === 'string' && g !== '')
    : [];
  return {
    sub: text(user.sub),
    username: text(user.username),
    email: text(user.email),
    name: text(user.name),
    groups,
    expiresAt: Number.isFinite(expiresAt) ? expiresAt : null,
  };
}

/** What to call the person: name, else email, else username. */
export function displayName(user) {
  return user.name || user.email || user.username || 'Signed-in user';
}

export function isInGroup(user, group) {
  return Boolean(user && user.groups.includes(group));
}

/**
 * The module's state as the site shows it:
 *   { status: 'loading' } | { status: 'signedIn', user } | { status: 'signedOut', reason }
 *   | { status: 'error', reason }
 */
function toView(state) {
  if (state.status === 'signedIn') return { status: 'signedIn', user: normalizeUser(state.user, state.expiresAt) };
  if (state.status === 'signedOut') return { status: 'signedOut', reason: state.reason };
  if (state.status === 'error') return { status: 'error', reason: state.reason };
  return { status: 'loading' };
}

export function createSiteGateSession(fetchImpl) {
  return createGateSession({
    whoamiUrl: gatePaths.whoami,
    refreshUrl: gatePaths.refresh,
    signInPath: gatePaths.signIn,
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
  });
}

export function SessionProvider({ children, fetchImpl }) {
  const [gate] = useState(() => createSiteGateSession(fetchImpl));
  const [state, setState] = useState(() => toView(gate.getState()));

  useEffect(() => {
    const unsubscribe = gate.subscribe((next) => setState(toView(next)));
    setDefaultGateSession(gate); // for lazyWithRetry and the error boundary
    gate.start();
    return () => {
      unsubscribe();
      gate.stop();
      if (getDefaultGateSession() === gate) setDefaultGateSession(null);
    };
  }, [gate]);

  // "Retry" in the header: ask who-am-I again, showing that we are checking.
  const refresh = useCallback(() => gate.check({ showLoading: true }), [gate]);
  const value = useMemo(() => ({ ...state, refresh, gate }), [state, refresh, gate]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession() {
  const ctx = useContext(SessionContext);
  if (!ctx) throw new Error('useSession() needs a <SessionProvider> above it');
  return ctx;
}

/** fetch() for the site's own paths and API: survives an expired session (see gateSession). */
export function useGateFetch() {
  return useSession().gate.fetch;
}

/**
 * getJson (src/api.js) through the gate-session fetch. Lives here, in the main bundle, so
 * the lazily loaded pages share no chunk of their own: a retried page chunk would otherwise
 * import a shared chunk whose failed fetch the browser may still hold in its module map.
 */
export function useGetJson() {
  const gateFetch = useGateFetch();
  return useCallback((path) => getJson(gateFetch, path), [gateFetch]);
}
