import { useCallback, useEffect, useState } from 'react';
import { API_PATHS } from '../api.js';
import { Page } from '../components/Page.jsx';
import { ADMIN_GROUP, isInGroup, useGateFetch, useGetJson, useSession } from '../session.jsx';

// Lives under /admin/, so the gate serves it only to the Admin group, like this page.
export const ADMIN_DATA_URL = '/admin/overview.json';

export async function fetchAdminOverview(fetchImpl = globalThis.fetch) {
  let response;
  try {
    response = await fetchImpl(ADMIN_DATA_URL, {
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { Accept: 'application/json' },
    });
  } catch {
    return { status: 'error', reason: 'The network request failed.' };
  }
  if (response.status === 401 || response.status === 403) return { status: 'forbidden' };
  if (!response.ok) return { status: 'error', reason: `Status ${response.status}.` };
  const type = response.headers.get('content-type') || '';
  if (!type.includes('json')) return { status: 'error', reason: 'The answer was not JSON.' };
  try {
    const data = await response.json();
    if (!data || !Array.isArray(data.members)) throw new Error('no members');
    return { status: 'ok', data };
  } catch {
    return { status: 'error', reason: 'The answer was not the expected JSON.' };
  }
}

function Overview() {
  const gateFetch = useGateFetch();
  const [state, setState] = useState({ status: 'loading' });

  const load = useCallback(async () => {
    setState({ status: 'loading' });
    setState(await fetchAdminOverview(gateFetch));
  }, [gateFetch]);

  useEffect(() => {
    load();
  }, [load]);

  if (state.status === 'loading') return <p role="status">Loading the team overview…</p>;
  if (state.status === 'forbidden') {
    return (
      <p className="notice notice--warning">
        The gate refused the team overview: your account is not in the {ADMIN_GROUP} group.
      </p>
    );
  }
  if (state.status === 'error') {
    return (
      <div className="notice notice--error" role="alert">
        <p>We couldn’t load the team overview. {state.reason}</p>
        <button type="button" className="button" onClick={load}>
          Try again
        </button>
      </div>
    );
  }
  const { data } = state;
  return (
    <div className="table-scroll" role="region" aria-labelledby="members-caption" tabIndex={0}>
      <table className="table">
        <caption id="members-caption">
          Team members and their groups{data.updated ? `, as of ${data.updated}` : ''}
        </caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Region</th>
            <th scope="col">Groups</th>
            <th scope="col">Last visit</th>
          </tr>
        </thead>
        <tbody>
          {data.members.map((m) => (
            <tr key={m.name}>
              <th scope="row">{m.name}</th>
              <td>{m.region}</td>
              <td>{(m.groups || []).join(', ')}</td>
              <td>{m.lastVisit}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Figures from the admin-only API endpoint; the API itself checks the Admin group. */
function ApiStats() {
  const getJson = useGetJson();
  const [state, setState] = useState({ status: 'loading' });

  const load = useCallback(async () => {
    setState({ status: 'loading' });
    setState(await getJson(API_PATHS.adminStats));
  }, [getJson]);

  useEffect(() => {
    load();
  }, [load]);

  if (state.status === 'loading') return <p role="status">Loading the API statistics…</p>;
  if (state.status === 'forbidden') {
    const required = state.required.length ? state.required.join(', ') : ADMIN_GROUP;
    return (
      <p className="notice notice--warning">
        The admin API refused your request: your account is not in the {required} group.
      </p>
    );
  }
  if (state.status === 'unavailable') {
    return <p className="notice notice--info">The admin API isn’t part of this deployment.</p>;
  }
  if (state.status === 'signedOut') {
    return (
      <p className="notice notice--warning">Your session has ended: sign in again to see the API statistics.</p>
    );
  }
  if (state.status === 'error') {
    return (
      <div className="notice notice--error" role="alert">
        <p>We couldn’t load the API statistics. {state.reason}</p>
        <button type="button" className="button" onClick={load}>
          Try again
        </button>
      </div>
    );
  }
  const { data } = state;
  const num = (n) => (Number.isFinite(n) ? n : '–');
  return (
    <dl className="facts">
      <dt>Reports served</dt>
      <dd>{num(data.reportsServed)}</dd>
      <dt>Different people</dt>
      <dd>{num(data.distinctPeople)}</dd>
      <dt>API running since</dt>
      <dd>{typeof data.startedAt === 'string' ? data.startedAt : '–'}</dd>
    </dl>
  );
}

export default function Admin() {
  const session = useSession();
  const notAdmin = session.status === 'signedIn' && !isInGroup(session.user, ADMIN_GROUP);
  return (
    <Page
      title="Admin"
      heading="Admin"
      lead="Team access and the editors’ tools."
      className="page--admin"
    >
      <p className="notice notice--info">
        This area is for the <strong>{ADMIN_GROUP}</strong> group. The sign-in gate checks
        membership on every request to <code className="mono">/admin</code> and{' '}
        <code className="mono">/admin/*</code>, so nobody else is served this page or its data.
      </p>
      {notAdmin ? (
        <p className="notice notice--warning">
          Your session does not list the {ADMIN_GROUP} group. Ask your team lead if you need
          access.
        </p>
      ) : null}
      <section aria-labelledby="team-title">
        <h2 id="team-title">Team overview</h2>
        <Overview />
      </section>
      <section aria-labelledby="api-title">
        <h2 id="api-title">API statistics</h2>
        <ApiStats />
      </section>
      <section aria-labelledby="tasks-title">
        <h2 id="tasks-title">Regular tasks</h2>
        <ul>
          <li>Review group membership on the first Monday of each month.</li>
          <li>Publish handbook changes from #field-notes every Friday.</li>
          <li>Export the month’s reports for the monthly team meeting pack.</li>
        </ul>
      </section>
    </Page>
  );
}
