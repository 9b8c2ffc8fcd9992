// Types for gate-session/react (src/react.js).
import type { Component, ComponentType, ReactNode } from 'react';
import type { GateSession, GateSessionState } from './index.js';

/** The session's state, re-rendering when it changes (default: the page's default session). */
export declare function useGateSession(session?: GateSession | null): GateSessionState;

/** React.lazy with one refresh-and-retry; a GateErrorBoundary's "Try again" loads it afresh. */
export declare function lazyWithRetry<P extends object>(
  factory: () => Promise<{ default: ComponentType<P> }>,
  options?: { session?: GateSession; importUrl?: (url: string) => Promise<{ default: ComponentType<P> }> },
): ComponentType<P>;

/** Let every failed lazyWithRetry component load afresh on its next render. */
export declare function resetFailedLazyLoads(): void;

/** What a GateErrorBoundary's fallback is given. */
export interface GateErrorFallbackProps {
  error: unknown;
  /** The session has ended (signed out, refresh refused): only signing in again helps. */
  ended: boolean;
  signInUrl: string;
  retry: () => void;
  reload: () => void;
}

export interface GateErrorBoundaryProps {
  children?: ReactNode;
  session?: GateSession;
  fallback?: ComponentType<GateErrorFallbackProps>;
}

/** Catches a chunk that would not load or a SessionEndedError, and shows a way on. */
export declare class GateErrorBoundary extends Component<GateErrorBoundaryProps, { error: unknown }> {}
