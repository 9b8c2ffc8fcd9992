// React bits of the gate session module: a lazy() that survives an expired session, and an
// error boundary with a way on. Needs only React itself.
import { Component, createElement, lazy } from 'react';
import { getDefaultGateSession, isSessionEndedError } from './core.js';

/**
 * React.lazy with one refresh-and-retry (see importWithRetry in core.js). React.lazy
 * remembers a rejected import forever, so after a failure the next render gets a fresh
 * lazy(): the boundary's "Try again" really tries again.
 */
export function lazyWithRetry(factory, { session } = {}) {
  const load = () => {
    const s = session || getDefaultGateSession();
    const attempt = s ? s.importWithRetry(factory) : factory();
    return attempt.catch((error) => {
      Current = makeLazy();
      throw error;
    });
  };
  const makeLazy = () => lazy(load);
  let Current = makeLazy();
  function LazyWithRetry(props) {
    return createElement(Current, props);
  }
  LazyWithRetry.preload = () => load().catch(() => undefined);
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
 * fallback({ error, ended, signInUrl, retry, reload }) renders the friendly state; the
 * default one is plain markup. Give it a key that changes with the route so moving on
 * clears it.
 */
export class GateErrorBoundary extends Component {
  constructor(props) {
    super(props);
    this.state = { error: null };
    this.retry = () => this.setState({ error: null });
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
    return (this.props.fallback || DefaultFallback)(info);
  }
}
