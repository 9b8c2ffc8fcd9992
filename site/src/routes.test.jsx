import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { gatePaths } from './gatePaths.js';
import { API_PATHS } from './api.js';
import { ADMIN_DATA_URL } from './pages/Admin.jsx';
import { ADA, OVERVIEW, jsonResponse, renderAt, stubFetch } from './test/helpers.jsx';

const signedIn = (user = ADA, extra = {}) =>
  stubFetch({ [gatePaths.whoami]: () => jsonResponse(200, user), ...extra });

const h1 = (name) => screen.findByRole('heading', { level: 1, name });

describe('routes (deep links load index.html, the router picks the page)', () => {
  it.each([
    ['/', 'Acme Field Notes', 'Acme Field Notes'],
    ['/docs', 'Docs', 'Docs · Acme Field Notes'],
    ['/docs/getting-started', 'Getting started', 'Getting started · Acme Field Notes'],
    ['/docs/handbook', 'Field handbook', 'Field handbook · Acme Field Notes'],
    ['/docs/handbook/', 'Field handbook', 'Field handbook · Acme Field Notes'],
    ['/reports', 'Reports', 'Reports · Acme Field Notes'],
    ['/reports?month=10', 'Reports', 'Reports · Acme Field Notes'],
  ])('%s shows "%s"', async (path, heading, title) => {
    signedIn();
    renderAt(path);
    expect(await h1(heading)).toBeInTheDocument();
    expect(screen.getAllByRole('heading', { level: 1 })).toHaveLength(1);
    await waitFor(() => expect(document.title).toBe(title));
  });

  it('an unknown path shows the not-found page, naming the path', async () => {
    signedIn();
    renderAt('/docs/no-such-page');
    expect(await h1('Page not found')).toBeInTheDocument();
    expect(screen.getByText('/docs/no-such-page')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Go to the Field Notes home page' })).toHaveAttribute('href', '/');
    expect(document.title).toBe('Page not found · Acme Field Notes');
  });

  it('without an API (a 404) the reports page says so and shows the sample figures', async () => {
    signedIn();
    renderAt('/reports');
    await h1('Reports');
    expect(await screen.findByText(/The reports API isn’t part of this deployment/)).toBeInTheDocument();
    const table = screen.getByRole('table', { name: /Visits and findings by region/ });
    const north = within(table).getByRole('row', { name: /North/ });
    expect(within(north).getAllByRole('cell').map((c) => c.textContent)).toEqual(['42', '17', '14', '82%']);
    expect(screen.getByRole('img', { name: /Site visits in October 2025 by region/ })).toBeInTheDocument();
  });

  it('treats the index.html fallback (no API behind this distribution) the same way', async () => {
    signedIn(ADA, {
      [API_PATHS.reports]: () =>
        new Response('<!doctype html>', { status: 200, headers: { 'Content-Type': 'text/html' } }),
    });
    renderAt('/reports');
    expect(await screen.findByText(/The reports API isn’t part of this deployment/)).toBeInTheDocument();
    expect(screen.getByRole('table', { name: 'Visits and findings by region, October 2025' })).toBeInTheDocument();
  });

  it('loads the person’s own figures from the API, through the gate-session fetch', async () => {
    const regions = [
      { region: 'North', visits: 7, findings: 4, closed: 1 },
      { region: 'City', visits: 9, findings: 0, closed: 0 },
    ];
    const fetchMock = signedIn(ADA, {
      [API_PATHS.reports]: () => jsonResponse(200, { person: { sub: ADA.sub, username: 'ada' }, regions }),
    });
    renderAt('/reports');
    const table = await screen.findByRole('table', { name: /Your visits and findings by region/ });
    const north = within(table).getByRole('row', { name: /North/ });
    expect(within(north).getAllByRole('cell').map((c) => c.textContent)).toEqual(['7', '4', '1', '25%']);
    expect(screen.getByText(/Your own figures \(ada\)/)).toBeInTheDocument();
    const [, init] = fetchMock.mock.calls.find((c) => c[0] === API_PATHS.reports);
    expect(new Headers(init.headers).get('X-Gate-Request')).toBe('1');
    expect(init.credentials).toBe('same-origin');
  });

  it('says the session has ended when the API call gets a 401 that says so', async () => {
    let signedOutElsewhere = false; // e.g. signed out in another tab
    stubFetch({
      [gatePaths.whoami]: () =>
        signedOutElsewhere ? jsonResponse(401, { signedIn: false, reason: 'signed_out' }) : jsonResponse(200, ADA),
      [API_PATHS.reports]: () => {
        signedOutElsewhere = true;
        return new Response(JSON.stringify({ signedIn: false, reason: 'signed_out' }), {
          status: 401,
          headers: { 'Content-Type': 'application/json', 'X-Gate-Reason': 'signed_out' },
        });
      },
    });
    renderAt('/reports');
    expect(await screen.findByText(/Your session has ended, so the reports API/)).toBeInTheDocument();
    // the whole app learns it too: the header offers sign-in
    expect(await screen.findByRole('link', { name: 'Sign in to Field Notes' })).toHaveAttribute(
      'href',
      '/_gate/sign-in?return=%2Freports',
    );
  });
});

describe('the admin page', () => {
  it('says the gate reserves it for the Admin group and shows the team overview', async () => {
    const fetchMock = signedIn(ADA, { [ADMIN_DATA_URL]: () => jsonResponse(200, OVERVIEW) });
    renderAt('/admin');
    expect(await h1('Admin')).toBeInTheDocument();
    expect(screen.getByText(/This area is for the/)).toHaveTextContent(
      'This area is for the Admin group. The sign-in gate checks membership on every request to /admin and /admin/*',
    );
    const table = await screen.findByRole('table', { name: /Team members and their groups/ });
    expect(within(table).getByRole('rowheader', { name: 'Priya Raman' })).toBeInTheDocument();
    expect(fetchMock.mock.calls.map((c) => c[0])).toContain('/admin/overview.json');
    expect(document.title).toBe('Admin · Acme Field Notes');
  });

  it('explains a refusal when the gate answers 403 for the admin data', async () => {
    signedIn({ ...ADA, groups: ['Field'] }, { [ADMIN_DATA_URL]: () => jsonResponse(403, { error: 'forbidden' }) });
    renderAt('/admin');
    expect(await screen.findByText(/The gate refused the team overview/)).toBeInTheDocument();
    expect(screen.getByText(/Your session does not list the Admin group/)).toBeInTheDocument();
  });

  it('a Viewer calling the admin API is told plainly they lack the Admin group', async () => {
    signedIn({ ...ADA, groups: ['Viewer'] }, {
      [ADMIN_DATA_URL]: () => jsonResponse(200, OVERVIEW),
      [API_PATHS.adminStats]: () =>
        jsonResponse(403, { error: 'forbidden', reason: 'missing_group', required: ['Admin'] }),
    });
    renderAt('/admin');
    expect(
      await screen.findByText('The admin API refused your request: your account is not in the Admin group.'),
    ).toBeInTheDocument();
  });

  it('shows the admin API statistics to an Admin', async () => {
    signedIn(ADA, {
      [ADMIN_DATA_URL]: () => jsonResponse(200, OVERVIEW),
      [API_PATHS.adminStats]: () =>
        jsonResponse(200, { reportsServed: 12, distinctPeople: 3, startedAt: '2026-01-05T09:00:00Z' }),
    });
    renderAt('/admin');
    expect(await screen.findByText('12')).toBeInTheDocument();
    expect(screen.getByText('Reports served')).toBeInTheDocument();
  });

  it('does not mistake an index.html fallback for the admin data', async () => {
    signedIn(ADA, {
      [ADMIN_DATA_URL]: () =>
        new Response('<!doctype html>', { status: 200, headers: { 'Content-Type': 'text/html' } }),
    });
    renderAt('/admin');
    expect(await screen.findByRole('alert')).toHaveTextContent('We couldn’t load the team overview');
    expect(screen.getByRole('button', { name: 'Try again' })).toBeInTheDocument();
  });
});

describe('navigation and accessibility', () => {
  it('has the landmarks, a skip link first in tab order, and lang on the page', async () => {
    signedIn();
    const user = userEvent.setup();
    renderAt('/');
    await h1('Acme Field Notes');
    expect(screen.getByRole('banner')).toBeInTheDocument();
    expect(screen.getByRole('navigation', { name: 'Main' })).toBeInTheDocument();
    expect(screen.getByRole('main')).toHaveAttribute('id', 'main');
    expect(screen.getByRole('contentinfo')).toBeInTheDocument();

    await user.tab();
    const skip = screen.getByRole('link', { name: 'Skip to main content' });
    expect(skip).toHaveFocus();
    expect(skip).toHaveAttribute('href', '#main');
  });

  it('moves between pages in the app, marking the current link and focusing the new heading', async () => {
    const fetchMock = signedIn();
    const user = userEvent.setup();
    renderAt('/');
    await h1('Acme Field Notes');
    const nav = screen.getByRole('navigation', { name: 'Main' });
    expect(within(nav).getByRole('link', { name: 'Home' })).toHaveAttribute('aria-current', 'page');

    await user.click(within(nav).getByRole('link', { name: 'Handbook' }));
    const heading = await h1('Field handbook');
    expect(window.location.pathname).toBe('/docs/handbook');
    expect(heading).toHaveFocus();
    expect(document.title).toBe('Field handbook · Acme Field Notes');
    expect(within(nav).getByRole('link', { name: 'Handbook' })).toHaveAttribute('aria-current', 'page');
    expect(within(nav).getByRole('link', { name: 'Home' })).not.toHaveAttribute('aria-current');
    // In-app navigation does not ask who-am-I again or reload anything.
    expect(fetchMock).toHaveBeenCalledTimes(1);

    // Back button.
    act(() => {
      window.history.replaceState(null, '', '/docs/getting-started');
      window.dispatchEvent(new PopStateEvent('popstate'));
    });
    expect(await h1('Getting started')).toBeInTheDocument();
  });

  it('works from the keyboard alone', async () => {
    signedIn();
    const user = userEvent.setup();
    renderAt('/');
    await h1('Acme Field Notes');
    const reports = within(screen.getByRole('main')).getByRole('link', { name: 'Reports' });
    reports.focus();
    await user.keyboard('{Enter}');
    expect(await h1('Reports')).toHaveFocus();
  });
});
