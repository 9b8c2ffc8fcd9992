// React bits of the gate session module: a hook that follows a session's state, a lazy() that
// survives an expired session, and an error boundary with a way on. Needs only React itself.
import { Component, createElement, lazy, useSyncExternalStore } from 'react';
import { getDefaultGateSession, isSessionEndedError } from './core.js';

/**
 * The session's state ({ status, user, expiresAt, reason }), re-rendering when it changes.
 * `session` is one createGateSession() made; without it, the page's default session.
 */
export function useGateSession(session) {
  const s = session || getDefaultGateSession();
  return useSyncExternalStore(
    (onChange) => (s ? s.subscribe(onChange) : () => {}),
    () => (s ? s.getState() : LOADING),
    () => LOADING,
  );
}

const LOADING = Object.freeze({ status: 'loading', user: null, expiresAt: null, reason: null });

// Every lazyWithRetry component whose last load failed, so a boundary's retry can reset it.
const failedLoads = new Set();

/** Let every failed lazyWithRetry component load afresh on its next render. */
export function resetFailedLazyLoads() {
  for (const reset of [...failedLoads]) reset();
}

/**
 * React.lazy with one refresh-and-retry (see importWithRetry in core.js). React.lazy
 * remembers a rejected import forever, so after a failure the component is swapped for a
 * fresh lazy() when a GateErrorBoundary retries (resetFailedLazyLoads): "Try again" really
 * tries again. (Swapping at once would make React retry in a loop instead of showing the
 * error.)
 */
export function lazyWithRetry(factory, { session, importUrl } = {}) {
  const load = () => {
    const s = session || getDefaultGateSession();
    const attempt = s ? s.importWithRetry(factory, importUrl ? { importUrl } : undefined) : factory();
    return attempt.catch((error) => {
      failedLoads.add(reset);
      throw error;
    });
  };
  const makeLazy = () => lazy(load);
  let Current = makeLazy();
  function reset() {
    failedLoads.delete(reset);
    Current = makeLazy();
  }
  function LazyWithRetry(props) {
    return createElement(Current, props);
  }
  return LazyWithRetry;
}

function DefaultFallback({ ended, signInUrl, reload, retry }) {
  if (ended) {
    return createElement(
      'section',
      { className: 'gate-session-error gate-session-error--ended', role: 'alert' },
      createElement('h2', null, 'Your session has ended'),
      createElement('p', null, 'You were signed out (perhaps in another tab). Sign in again to carry on here.'),
      createElement('p', null, createElement('a', { href: signInUrl }, 'Sign in again')),
    );
  }
  return createElement(
    'section',
    { className: 'gate-session-error', role: 'alert' },
    createElement('h2', null, 'This page could not be loaded'),
    createElement('p', null, 'The connection may have dropped, or the site was updated.'),
    createElement(
      'p',
      null,
      createElement('button', { type: 'button', onClick: retry }, 'Try again'),
      ' ',
      createElement('button', { type: 'button', onClick: reload }, 'Reload the page'),
    ),
  );
}

/**
 * Catches what rendering below it throws (a chunk that would not load, a SessionEndedError).
 * `fallback` is a component given { error, ended, signInUrl, retry, reload }: the friendly
 * state with a way on. The default one is plain markup. Give it a key that changes with the route so moving on
 * clears it.
 */
export class GateErrorBoundary extends Component {
  constructor(props) {
    super(props);
    this.state = { error: null };
    this.retry = () => {
      resetFailedLazyLoads();
      this.setState({ error: null });
    };
    this.reload = () => window.location.reload();
  }

  static getDerivedStateFromError(error) {
    return { error };
  }

  render() {
    const { error } = this.state;
    if (!error) return this.props.children;
    const session = this.props.session || getDefaultGateSession();
    const loc = window.location;
    const returnTo = `${loc.pathname}${loc.search}`;
    const info = {
      error,
      ended: isSessionEndedError(error),
      signInUrl: session ? session.signInUrl(returnTo) : error.signInUrl || '/',
      retry: this.retry,
      reload: this.reload,
    };
    return createElement(this.props.fallback || DefaultFallback, info);
  }
}
