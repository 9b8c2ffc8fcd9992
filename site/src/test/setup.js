import '@testing-library/jest-dom/vitest';
import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';

// Node-environment test files (e.g. scripts/*.test.mjs) share this setup: only touch the
// DOM when there is one.
if (typeof window !== 'undefined') {
  afterEach(() => {
    cleanup();
    window.history.replaceState(null, '', '/');
    document.title = '';
  });
}
