// Types for gate-session's framework-free part (src/index.js). The page never sees a token:
// the gate keeps them in HttpOnly cookies and answers who-am-I with the person's claims.

/** Why the gate refused a request (its X-Gate-Reason header and JSON `reason`). */
export declare const REASONS: Readonly<{
  expired: 'session_expired';
  signedOut: 'signed_out';
  refused: 'refresh_refused';
}>;
export type GateReason = (typeof REASONS)[keyof typeof REASONS];

/** The person, as who-am-I tells it. */
export interface GateUser {
  sub: string | null;
  username: string | null;
  email: string | null;
  name: string | null;
  groups: string[];
}

export type GateSessionState =
  | { status: 'loading'; user: null; expiresAt: null; reason: null }
  | { status: 'signedIn'; user: GateUser; expiresAt: number; reason: null }
  | { status: 'signedOut'; user: null; expiresAt: null; reason: string | null }
  | { status: 'error'; user: null; expiresAt: null; reason: string | null };

/** What ensureFresh() resolves to; it never rejects. */
export type FreshResult =
  | { ok: true }
  | { ok: false; ended: true; reason: string }
  | { ok: false; transient: true; status?: number; error?: string };

/** Where browser globals come from (tests pass fakes); default globalThis. */
export interface GateEnv {
  navigator?: { locks?: unknown };
  BroadcastChannel?: unknown;
  localStorage?: unknown;
  document?: unknown;
  location?: { origin: string; href: string; pathname: string; search: string };
  setTimeout?: (fn: () => void, ms: number) => unknown;
  clearTimeout?: (id: unknown) => void;
}

export interface GateSessionOptions {
  /** The gate's who-am-I path (same origin), e.g. "/_gate/me". */
  whoamiUrl?: string;
  /** The gate's refresh path (POST, same origin), e.g. "/_gate/refresh". */
  refreshUrl?: string;
  /** The gate's sign-in path, e.g. "/_gate/sign-in". */
  signInPath?: string;
  fetch?: typeof globalThis.fetch;
  env?: GateEnv;
  /** Refresh this long before expiresAt (at most half the time left). Default 60. */
  leadSeconds?: number;
  minDelayMs?: number;
  retryDelaysMs?: number[];
  recheckAfterMs?: number;
  requestTimeoutMs?: number;
  lockName?: string;
  channelName?: string;
}

export interface GateSession {
  /** Ask who-am-I, follow visibility and other tabs; returns the session. */
  start(): GateSession;
  stop(): void;
  /** Ask who-am-I again; resolves to the new state, never rejects. */
  check(options?: { showLoading?: boolean }): Promise<GateSessionState>;
  /** Make sure the session is fresh, refreshing at most once per browser at a time. */
  ensureFresh(options?: { after?: number; force?: boolean }): Promise<FreshResult>;
  /** fetch() for the site's own origin that survives an expired session (one refresh, one replay). */
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
  /** Load a chunk with one refresh-and-retry. */
  importWithRetry<T>(factory: () => Promise<T>, options?: { importUrl?: (url: string) => Promise<T> }): Promise<T>;
  /** The sign-in URL that returns to `returnTo` (a same-site path). */
  signInUrl(returnTo?: string): string;
  currentSignInUrl(): string;
  getState(): GateSessionState;
  /** Bumps whenever a newer session is adopted. */
  readonly generation: number;
  subscribe(listener: (state: GateSessionState) => void): () => void;
}

export declare function createGateSession(options?: GateSessionOptions): GateSession;
export declare function setDefaultGateSession(session: GateSession | null): void;
export declare function getDefaultGateSession(): GateSession | null;

/** The session has really ended: only signing in again helps. */
export declare class SessionEndedError extends Error {
  constructor(reason?: string, signInUrl?: string | null);
  readonly name: 'SessionEndedError';
  reason: string;
  signInUrl: string | null;
}

/** A lazily loaded chunk could not be loaded for a reason a refresh did not fix. */
export declare class ChunkLoadError extends Error {
  constructor(message: string, options?: { cause?: unknown; transient?: boolean });
  readonly name: 'ChunkLoadError';
  cause: unknown;
  transient: boolean;
}

export declare function isSessionEndedError(error: unknown): error is SessionEndedError;
/** The chunk URL named in a failed dynamic import's message, when it is on `origin`. */
export declare function chunkUrlFromError(error: unknown, origin?: string | null): string | null;
export declare function withRetryQuery(href: string, attempt: number): string;
