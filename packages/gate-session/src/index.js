// The framework-free part; React bits are in ./react.jsx.
export {
  ChunkLoadError,
  REASONS,
  SessionEndedError,
  chunkUrlFromError,
  createGateSession,
  getDefaultGateSession,
  isSessionEndedError,
  setDefaultGateSession,
  withRetryQuery,
} from './core.js';
