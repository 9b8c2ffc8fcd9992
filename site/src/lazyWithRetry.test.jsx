import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Suspense } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PageLoadProblem } from './components/PageLoadProblem.jsx';
import { Router } from './router.jsx';
import { FakeGate, PATHS } from '../../packages/gate-session/test/gateWorld.js';
import { createGateSession } from 'gate-session';
import { GateErrorBoundary, lazyWithRetry } from 'gate-session/react';

// Real timers, the real jsdom window (its localStorage lease stands in for Web Locks) and a
// fast fake gate.
let session;
afterEach(() => session && session.stop());

async function startSession(gate) {
  session = createGateSession({ ...PATHS, fetch: gate.fetch });
  session.start();
  await vi.waitFor(() => expect(session.getState().status).toBe('signedIn'));
  return session;
}

const chromiumError = () =>
  new TypeError(`Failed to fetch dynamically imported module: ${window.location.origin}/assets/Reports-abc.js`);

function Page({ text }) {
  return <h1>{text}</h1>;
}

function renderLazy(Lazy, fallback) {
  return render(
    <Router>
      <GateErrorBoundary session={session} fallback={fallback}>
        <Suspense fallback={<p>Loading…</p>}>
          <Lazy />
        </Suspense>
      </GateErrorBoundary>
    </Router>,
  );
}

describe('lazyWithRetry with GateErrorBoundary', () => {
  it('an expired session: the chunk is loaded again after one refresh and the page renders', async () => {
    const gate = new FakeGate({ latencyMs: 1, whoamiRefreshesInline: false });
    await startSession(gate);
    gate.expireNow();
    const factory = vi.fn(async () => {
      throw chromiumError();
    });
    const importUrl = vi.fn(async () => ({ default: () => <Page text="Reports" /> }));
    renderLazy(lazyWithRetry(factory, { session, importUrl }));
    expect(await screen.findByRole('heading', { name: 'Reports' })).toBeInTheDocument();
    expect(gate.posts()).toBe(1);
    expect(importUrl.mock.calls[0][0]).toMatch(/\/assets\/Reports-abc\.js\?gate-retry=\d+$/);
  });

  it('a session that really ended: a friendly state with a sign-in link back to this deep link', async () => {
    const gate = new FakeGate({ latencyMs: 1 });
    window.history.replaceState(null, '', '/reports?month=10');
    await startSession(gate);
    gate.signOut();
    vi.spyOn(console, 'error').mockImplementation(() => {}); // React logs caught errors
    const Lazy = lazyWithRetry(async () => {
      throw chromiumError();
    }, { session });
    renderLazy(Lazy, PageLoadProblem);
    expect(await screen.findByRole('heading', { name: 'Sign in again to see this page' })).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Sign in again' })).toHaveAttribute(
      'href',
      '/_gate/sign-in?return=%2Freports%3Fmonth%3D10',
    );
    expect(screen.queryByRole('button', { name: 'Try again' })).toBeNull();
    expect(gate.posts()).toBe(0);
  });

  it('another load failure: a different message, and Try again really tries again', async () => {
    const gate = new FakeGate({ latencyMs: 1 });
    await startSession(gate);
    let calls = 0;
    const factory = vi.fn(async () => {
      calls += 1;
      if (calls <= 2) throw new TypeError('Importing a module script failed.');
      return { default: () => <Page text="Admin" /> };
    });
    vi.spyOn(console, 'error').mockImplementation(() => {}); // React logs caught errors
    const user = userEvent.setup();
    renderLazy(lazyWithRetry(factory, { session }), PageLoadProblem);
    expect(await screen.findByRole('heading', { name: 'This page couldn’t be loaded' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Reload the page' })).toBeInTheDocument();
    expect(screen.queryByRole('link', { name: 'Sign in again' })).toBeNull();
    expect(factory).toHaveBeenCalledTimes(2); // one retry after the session check
    expect(gate.idpSpends).toBe(0); // the session was fine: nothing refreshed

    await user.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByRole('heading', { name: 'Admin' })).toBeInTheDocument();
  });

  it('the default fallback also separates the two cases', async () => {
    const gate = new FakeGate({ latencyMs: 1 });
    await startSession(gate);
    gate.signOut();
    vi.spyOn(console, 'error').mockImplementation(() => {});
    renderLazy(lazyWithRetry(async () => {
      throw chromiumError();
    }, { session }));
    expect(await screen.findByRole('heading', { name: 'Your session has ended' })).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Sign in again' })).toHaveAttribute('href', '/_gate/sign-in?return=%2F');
  });
});
