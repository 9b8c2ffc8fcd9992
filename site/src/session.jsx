// Who is signed in, as the gate's who-am-I endpoint tells it. The site never reads
// tokens or cookies: the browser sends the gate's cookies, the gate answers with JSON.
import { createContext, useCallback, useContext, useEffect, useRef, useState } from 'react';
import { gatePaths } from './gatePaths.js';

const SessionContext = createContext(null);

/** The group the gate's rules reserve /admin and /admin/* for. */
export const ADMIN_GROUP = 'Admin';

function normalizeUser(body) {
  const text = (v) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null);
  const groups = Array.isArray(body.groups)
    ? body.groups.filter((g) => typeof g === 'string' && g !== '')
    : [];
  return {
    sub: text(body.sub),
    username: text(body.username),
    email: text(body.email),
    name: text(body.name),
    groups,
    expiresAt: Number.isFinite(body.expiresAt) ? body.expiresAt : null,
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
 * Ask the gate who is signed in. Resolves (never rejects) to one of
 *   { status: 'signedIn', user }
 *   { status: 'signedOut' }
 *   { status: 'error', reason }
 */
export async function fetchSession(fetchImpl = globalThis.fetch) {
  let response;
  try {
    response = await fetchImpl(gatePaths.whoami, {
      method: 'GET',
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { Accept: 'application/json' },
    });
  } catch {
    return { status: 'error', reason: 'The network request failed.' };
  }
  if (response.status === 401) return { status: 'signedOut' };
  if (!response.ok) {
    return { status: 'error', reason: `The gate answered with status ${response.status}.` };
  }
  let body;
  try {
    body = await response.json();
  } catch {
    return { status: 'error', reason: 'The gate’s answer was not JSON.' };
  }
  if (!body || typeof body !== 'object' || body.signedIn !== true) {
    return { status: 'error', reason: 'The gate’s answer did not describe a session.' };
  }
  return { status: 'signedIn', user: normalizeUser(body) };
}

export function SessionProvider({ children, fetchImpl }) {
  const [state, setState] = useState({ status: 'loading' });
  const latest = useRef(0);

  const refresh = useCallback(async () => {
    const ticket = ++latest.current;
    setState({ status: 'loading' });
    const next = await fetchSession(fetchImpl ?? globalThis.fetch);
    if (ticket === latest.current) setState(next);
  }, [fetchImpl]);

  useEffect(() => {
    refresh();
  }, [refresh]);

  // Coming back to a tab whose session has run out: check again, so the header does
  // not go on naming someone the gate no longer knows.
  useEffect(() => {
    const onVisible = () => {
      if (document.visibilityState !== 'visible') return;
      const expiresAt = state.status === 'signedIn' ? state.user.expiresAt : null;
      if (expiresAt !== null && expiresAt * 1000 <= Date.now()) refresh();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => document.removeEventListener('visibilitychange', onVisible);
  }, [state, refresh]);

  return (
    <SessionContext.Provider value={{ ...state, refresh }}>{children}</SessionContext.Provider>
  );
}

export function useSession() {
  const ctx = useContext(SessionContext);
  if (!ctx) throw new Error('useSession() needs a <SessionProvider> above it');
  return ctx;
}
