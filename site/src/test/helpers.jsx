import { render } from '@testing-library/react';
import { vi } from 'vitest';
import App from '../App.jsx';

export function jsonResponse(status, body) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });
}

export const ADA = {
  signedIn: true,
  sub: '3f1c2a9e-0000-4000-8000-000000000001',
  username: 'ada',
  email: 'ada@acme.example',
  name: 'Ada Lovelace',
  groups: ['Admin', 'Field'],
  expiresAt: 4102444800,
};

export const SIGNED_OUT = { signedIn: false, signInUrl: '/_gate/sign-in?return=%2F' };

export const OVERVIEW = {
  updated: '18 Nov 2025',
  members: [{ name: 'Priya Raman', region: 'City', groups: ['Field', 'Admin'], lastVisit: '17 Nov 2025' }],
};

/**
 * A fetch stand-in that answers by path: handlers maps a path to a function returning
 * a Response (or throwing, for a network failure). Unknown paths get a 404.
 */
export function stubFetch(handlers) {
  const fetchMock = vi.fn(async (input) => {
    const url = new URL(typeof input === 'string' ? input : input.url, window.location.origin);
    const handler = handlers[url.pathname];
    if (!handler) return new Response('not found', { status: 404 });
    return handler(url);
  });
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}

/** Render the whole app as if the browser had loaded `path` (a deep link). */
export function renderAt(path, AppComponent = App) {
  window.history.replaceState(null, '', path);
  return render(<AppComponent />);
}

/**
 * Click a link and report whether the app kept the browser from following it
 * (i.e. handled it as an in-app navigation). The real navigation is then cancelled so
 * jsdom does not try to load a page.
 */
export function clickAndReportIntercepted(element) {
  let intercepted = null;
  const spy = (event) => {
    intercepted = event.defaultPrevented;
    event.preventDefault();
  };
  window.addEventListener('click', spy);
  try {
    element.click();
  } finally {
    window.removeEventListener('click', spy);
  }
  return intercepted;
}
