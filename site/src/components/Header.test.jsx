import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { gatePaths } from '../gatePaths.js';
import {
  ADA,
  SIGNED_OUT,
  clickAndReportIntercepted,
  jsonResponse,
  renderAt,
  stubFetch,
} from '../test/helpers.jsx';

const header = () => screen.getByRole('banner');

describe('header when signed in', () => {
  it('shows the person’s name and groups and a sign-out link to the gate', async () => {
    const fetchMock = stubFetch({ [gatePaths.whoami]: () => jsonResponse(200, ADA) });
    renderAt('/');

    expect(await within(header()).findByText('Ada Lovelace')).toBeInTheDocument();
    const groups = within(header()).getByRole('list', { name: 'Your groups' });
    expect(within(groups).getAllByRole('listitem').map((li) => li.textContent)).toEqual([
      'Admin',
      'Field',
    ]);
    const signOut = within(header()).getByRole('link', { name: 'Sign out' });
    expect(signOut).toHaveAttribute('href', '/_gate/sign-out');
    expect(within(header()).queryByRole('link', { name: 'Sign in' })).toBeNull();

    // who-am-I is asked the documented way.
    expect(fetchMock).toHaveBeenCalledTimes(1);
    const [url, init] = fetchMock.mock.calls[0];
    expect(url).toBe('/_gate/me');
    expect(init.credentials).toBe('same-origin');
    expect(init.headers.Accept).toBe('application/json');
  });

  it('signs out by full page navigation, not by fetch', async () => {
    const fetchMock = stubFetch({ [gatePaths.whoami]: () => jsonResponse(200, ADA) });
    renderAt('/reports');
    const signOut = await within(header()).findByRole('link', { name: 'Sign out' });
    expect(clickAndReportIntercepted(signOut)).toBe(false);
    expect(fetchMock.mock.calls.map((c) => c[0])).not.toContain(gatePaths.signOut);
  });

  it.each([
    [{ name: null }, 'ada@acme.example'],
    [{ name: null, email: null }, 'ada'],
    [{ name: '  ', email: '' }, 'ada'],
  ])('falls back from name to email to username (%j)', async (patch, shown) => {
    stubFetch({ [gatePaths.whoami]: () => jsonResponse(200, { ...ADA, ...patch }) });
    renderAt('/');
    expect(await within(header()).findByText(shown)).toBeInTheDocument();
  });

  it('says so when the person is in no groups, and hides the Admin link', async () => {
    stubFetch({ [gatePaths.whoami]: () => jsonResponse(200, { ...ADA, groups: [] }) });
    renderAt('/');
    expect(await within(header()).findByText('No groups')).toBeInTheDocument();
    const nav = screen.getByRole('navigation', { name: 'Main' });
    expect(within(nav).queryByRole('link', { name: 'Admin' })).toBeNull();
  });

  it('shows Admin members a full-page Admin link, so the gate checks the request', async () => {
    stubFetch({ [gatePaths.whoami]: () => jsonResponse(200, ADA) });
    renderAt('/');
    const nav = screen.getByRole('navigation', { name: 'Main' });
    const admin = await within(nav).findByRole('link', { name: 'Admin' });
    expect(admin).toHaveAttribute('href', '/admin');
    expect(clickAndReportIntercepted(admin)).toBe(false);
  });
});

describe('header when signed out', () => {
  it('offers a sign-in link that returns to the current path and query', async () => {
    stubFetch({ [gatePaths.whoami]: () => jsonResponse(401, SIGNED_OUT) });
    renderAt('/docs/handbook?tab=2');

    const signIn = await within(header()).findByRole('link', { name: 'Sign in' });
    expect(signIn).toHaveAttribute('href', '/_gate/sign-in?return=%2Fdocs%2Fhandbook%3Ftab%3D2');
    expect(within(header()).getByText('You’re signed out.')).toBeInTheDocument();
    expect(within(header()).queryByRole('link', { name: 'Sign out' })).toBeNull();

    // And a friendly notice in the page itself.
    const main = screen.getByRole('main');
    expect(within(main).getByRole('heading', { name: 'Your session has ended' })).toBeVisible();
    expect(within(main).getByRole('link', { name: 'Sign in to Field Notes' })).toHaveAttribute(
      'href',
      '/_gate/sign-in?return=%2Fdocs%2Fhandbook%3Ftab%3D2',
    );
  });

  it('keeps the return path up to date after in-app navigation', async () => {
    stubFetch({ [gatePaths.whoami]: () => jsonResponse(401, SIGNED_OUT) });
    const user = userEvent.setup();
    renderAt('/');
    await within(header()).findByRole('link', { name: 'Sign in' });
    await user.click(within(screen.getByRole('navigation', { name: 'Main' })).getByRole('link', { name: 'Reports' }));
    expect(await screen.findByRole('heading', { level: 1, name: 'Reports' })).toBeInTheDocument();
    expect(within(header()).getByRole('link', { name: 'Sign in' })).toHaveAttribute(
      'href',
      '/_gate/sign-in?return=%2Freports',
    );
  });
});

describe('header when the session cannot be checked', () => {
  it('shows an error for a 500 and recovers on Retry', async () => {
    let calls = 0;
    const fetchMock = stubFetch({
      [gatePaths.whoami]: () => (++calls === 1 ? jsonResponse(500, { error: 'boom' }) : jsonResponse(200, ADA)),
    });
    const user = userEvent.setup();
    renderAt('/');

    expect(await within(header()).findByText(/We couldn’t check your session/)).toBeInTheDocument();
    expect(within(header()).getByText(/status 500/)).toBeInTheDocument();
    expect(within(header()).queryByText('Ada Lovelace')).toBeNull();

    await user.click(within(header()).getByRole('button', { name: 'Retry' }));
    expect(await within(header()).findByText('Ada Lovelace')).toBeInTheDocument();
    expect(within(header()).queryByRole('button', { name: 'Retry' })).toBeNull();
    expect(fetchMock).toHaveBeenCalledTimes(2);
  });

  it('shows an error when the network fails, and Retry asks again', async () => {
    let calls = 0;
    stubFetch({
      [gatePaths.whoami]: () => {
        calls += 1;
        if (calls === 1) throw new TypeError('Failed to fetch');
        return jsonResponse(401, SIGNED_OUT);
      },
    });
    const user = userEvent.setup();
    renderAt('/reports');

    expect(await within(header()).findByText(/We couldn’t check your session/)).toBeInTheDocument();
    expect(within(header()).getByText(/network request failed/)).toBeInTheDocument();
    await user.click(within(header()).getByRole('button', { name: 'Retry' }));
    expect(await within(header()).findByRole('link', { name: 'Sign in' })).toHaveAttribute(
      'href',
      '/_gate/sign-in?return=%2Freports',
    );
  });

  it('treats an HTML page where JSON was expected as an error', async () => {
    stubFetch({
      [gatePaths.whoami]: () =>
        new Response('<!doctype html><title>x</title>', { status: 200, headers: { 'Content-Type': 'text/html' } }),
    });
    renderAt('/');
    expect(await within(header()).findByRole('button', { name: 'Retry' })).toBeInTheDocument();
  });

  it('says it is checking while who-am-I has not answered', async () => {
    let release;
    stubFetch({ [gatePaths.whoami]: () => new Promise((resolve) => (release = resolve)) });
    renderAt('/');
    expect(within(header()).getByText('Checking your session…')).toBeInTheDocument();
    release(jsonResponse(200, ADA));
    await waitFor(() => expect(within(header()).getByText('Ada Lovelace')).toBeInTheDocument());
  });
});

describe('configured gate paths', () => {
  it('uses the paths from the gate build’s env file', async () => {
    vi.stubEnv('VITE_GATE_WHOAMI', '/auth/whoami');
    vi.stubEnv('VITE_GATE_SIGN_IN', '/auth/login');
    vi.stubEnv('VITE_GATE_SIGN_OUT', '/auth/logout');
    vi.resetModules();
    const { default: ConfiguredApp } = await import('../App.jsx');

    let answer = jsonResponse(200, ADA);
    const fetchMock = stubFetch({ '/auth/whoami': () => answer });
    renderAt('/', ConfiguredApp);
    expect(await within(header()).findByRole('link', { name: 'Sign out' })).toHaveAttribute(
      'href',
      '/auth/logout',
    );
    expect(fetchMock.mock.calls[0][0]).toBe('/auth/whoami');
  });

  it('builds the sign-in link from the configured path', async () => {
    vi.stubEnv('VITE_GATE_WHOAMI', '/auth/whoami');
    vi.stubEnv('VITE_GATE_SIGN_IN', '/auth/login');
    vi.resetModules();
    const { default: ConfiguredApp } = await import('../App.jsx');
    stubFetch({ '/auth/whoami': () => jsonResponse(401, SIGNED_OUT) });
    renderAt('/reports?month=10', ConfiguredApp);
    expect(await within(header()).findByRole('link', { name: 'Sign in' })).toHaveAttribute(
      'href',
      '/auth/login?return=%2Freports%3Fmonth%3D10',
    );
  });
});
