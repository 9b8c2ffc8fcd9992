// A tiny TypeScript app using gate-session as a person installs it (the packed tarball):
// scripts/check-pack.mjs type-checks it against the declarations in the tarball.
import {
  ChunkLoadError,
  REASONS,
  createGateSession,
  isSessionEndedError,
  setDefaultGateSession,
  type GateSessionState,
} from 'gate-session';
import { GateErrorBoundary, lazyWithRetry, useGateSession, type GateErrorFallbackProps } from 'gate-session/react';

const session = createGateSession({ whoamiUrl: '/_gate/me', refreshUrl: '/_gate/refresh', signInPath: '/_gate/sign-in' });
setDefaultGateSession(session.start());

async function reports(): Promise<unknown> {
  const response = await session.fetch('/api/reports', { headers: { Accept: 'application/json' } });
  return response.json();
}

function describe(state: GateSessionState): string {
  if (state.status === 'signedIn') return `${state.user.email ?? state.user.sub} until ${new Date(state.expiresAt * 1000)}`;
  if (state.status === 'signedOut') return `signed out: ${state.reason === REASONS.signedOut ? 'by you' : state.reason}`;
  return state.status;
}

const Reports = lazyWithRetry(() => import('./Reports.js'));

function Fallback({ ended, signInUrl, retry }: GateErrorFallbackProps) {
  return ended ? <a href={signInUrl}>Sign in again</a> : <button onClick={retry}>Try again</button>;
}

export function App() {
  const state = useGateSession(session);
  return (
    <GateErrorBoundary fallback={Fallback} session={session}>
      <p>{describe(state)}</p>
      <Reports title="October" />
    </GateErrorBoundary>
  );
}

export function onError(error: unknown): string {
  if (isSessionEndedError(error)) return error.reason;
  return error instanceof ChunkLoadError && error.transient ? 'try later' : 'broken';
}

void reports();

// The declarations must refuse what the module does not do:
// @ts-expect-error fetch takes a URL or Request, not a number
session.fetch(42);
// @ts-expect-error a signed-in state always has a user
const noUser: null = ({} as Extract<GateSessionState, { status: 'signedIn' }>).user;
// @ts-expect-error the fallback gets no "session" prop
const wrong = (props: GateErrorFallbackProps) => props.session;
void noUser;
void wrong;
