import { act, cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { createGateSession, getDefaultGateSession, setDefaultGateSession } from '../src/index.js';
import { useGateSession } from '../src/react.js';
import { FakeGate, PATHS, fakeBrowser } from './gateWorld.js';

function Who({ session }) {
  const state = useGateSession(session);
  return <p>{state.status === 'signedIn' ? `in as ${state.user.email}` : state.status}</p>;
}

describe('useGateSession', () => {
  afterEach(() => {
    cleanup();
    setDefaultGateSession(null);
  });

  it('follows the session from loading to signed in to signed out', async () => {
    const gate = new FakeGate({ latencyMs: 0 });
    const session = createGateSession({ ...PATHS, fetch: gate.fetch, env: fakeBrowser().tabEnv('/docs') });
    render(<Who session={session} />);
    expect(screen.getByText('loading')).toBeTruthy();
    await act(async () => {
      await session.check();
    });
    expect(screen.getByText('in as ada@acme.example')).toBeTruthy();
    gate.signOut();
    await act(async () => {
      await session.check();
    });
    expect(screen.getByText('signedOut')).toBeTruthy();
  });

  it('uses the default session when given none, and says loading without one', () => {
    expect(getDefaultGateSession()).toBeNull();
    render(<Who />);
    expect(screen.getByText('loading')).toBeTruthy();
  });
});
