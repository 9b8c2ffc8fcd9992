import { useCallback, useEffect, useState } from 'react';
import { API_PATHS } from '../api.js';
import { Page } from '../components/Page.jsx';
import { useGetJson } from '../session.jsx';

// Sample figures (October 2025, as reported at the November team meeting), shown when the
// site is deployed without its API.
export const VISITS = [
  { region: 'North', visits: 42, findings: 17, closed: 14 },
  { region: 'Coast', visits: 35, findings: 11, closed: 11 },
  { region: 'Valley', visits: 28, findings: 15, closed: 9 },
  { region: 'City', visits: 51, findings: 22, closed: 19 },
];

const BAR_HEIGHT = 28;
const GAP = 12;
const LABEL_WIDTH = 70;
const CHART_WIDTH = 250;

function VisitsChart({ rows }) {
  const max = Math.max(1, ...rows.map((v) => v.visits));
  const height = rows.length * (BAR_HEIGHT + GAP);
  return (
    <figure className="chart">
      <svg
        className="chart__svg"
        viewBox={`0 0 ${LABEL_WIDTH + CHART_WIDTH + 40} ${height}`}
        role="img"
        aria-labelledby="visits-chart-title"
      >
        <title id="visits-chart-title">
          Site visits in October 2025 by region:{' '}
          {rows.map((v) => `${v.region} ${v.visits}`).join(', ')}
        </title>
        {rows.map((v, i) => {
          const y = i * (BAR_HEIGHT + GAP);
          const w = Math.round((v.visits / max) * CHART_WIDTH);
          return (
            <g key={v.region}>
              <text className="chart__label" x="0" y={y + BAR_HEIGHT / 2} dominantBaseline="middle">
                {v.region}
              </text>
              <rect className="chart__bar" x={LABEL_WIDTH} y={y} width={w} height={BAR_HEIGHT} rx="4" />
              <text
                className="chart__value"
                x={LABEL_WIDTH + w + 6}
                y={y + BAR_HEIGHT / 2}
                dominantBaseline="middle"
              >
                {v.visits}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption>Site visits in October 2025, by region.</figcaption>
    </figure>
  );
}

function Figures({ rows, caption }) {
  const total = rows.reduce(
    (acc, v) => ({
      visits: acc.visits + v.visits,
      findings: acc.findings + v.findings,
      closed: acc.closed + v.closed,
    }),
    { visits: 0, findings: 0, closed: 0 },
  );
  const pct = (n, d) => `${Math.round((n / d) * 100)}%`;

  return (
    <>
      <ul className="stats">
        <li className="stat">
          <span className="stat__value">{total.visits}</span>
          <span className="stat__label">site visits</span>
        </li>
        <li className="stat">
          <span className="stat__value">{total.findings}</span>
          <span className="stat__label">findings raised</span>
        </li>
        <li className="stat">
          <span className="stat__value">{total.findings ? pct(total.closed, total.findings) : '–'}</span>
          <span className="stat__label">findings closed</span>
        </li>
      </ul>
      <VisitsChart rows={rows} />
      <div className="table-scroll" role="region" aria-labelledby="by-region" tabIndex={0}>
        <table className="table">
          <caption id="by-region">{caption}</caption>
          <thead>
            <tr>
              <th scope="col">Region</th>
              <th scope="col" className="num">Visits</th>
              <th scope="col" className="num">Findings</th>
              <th scope="col" className="num">Closed</th>
              <th scope="col" className="num">Closed %</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((v) => (
              <tr key={v.region}>
                <th scope="row">{v.region}</th>
                <td className="num">{v.visits}</td>
                <td className="num">{v.findings}</td>
                <td className="num">{v.closed}</td>
                <td className="num">{v.findings ? pct(v.closed, v.findings) : '–'}</td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row">All regions</th>
              <td className="num">{total.visits}</td>
              <td className="num">{total.findings}</td>
              <td className="num">{total.closed}</td>
              <td className="num">{total.findings ? pct(total.closed, total.findings) : '–'}</td>
            </tr>
          </tfoot>
        </table>
      </div>
    </>
  );
}

function validRows(data) {
  const num = (n) => Number.isInteger(n) && n >= 0;
  return data && Array.isArray(data.regions) && data.regions.length > 0 &&
    data.regions.every((r) => r && typeof r.region === 'string' && num(r.visits) && num(r.findings) && num(r.closed))
    ? data.regions
    : null;
}

export default function Reports() {
  const getJson = useGetJson();
  const [state, setState] = useState({ status: 'loading' });

  const load = useCallback(async () => {
    setState({ status: 'loading' });
    const result = await getJson(API_PATHS.reports);
    if (result.status === 'ok' && !validRows(result.data)) {
      setState({ status: 'error', reason: 'The API’s answer was not the expected figures.' });
    } else {
      setState(result);
    }
  }, [getJson]);

  useEffect(() => {
    load();
  }, [load]);

  let content;
  if (state.status === 'loading') {
    content = <p role="status">Loading your figures…</p>;
  } else if (state.status === 'ok') {
    const who = state.data.person && (state.data.person.username || state.data.person.sub);
    content = (
      <>
        <p className="notice notice--info">
          Your own figures{who ? ` (${who})` : ''}, from the reports API: the gate sent it your
          sign-in, and the API checked it.
        </p>
        <Figures rows={validRows(state.data)} caption="Your visits and findings by region, October 2025" />
      </>
    );
  } else if (state.status === 'unavailable') {
    content = (
      <>
        <p className="notice notice--info">
          The reports API isn’t part of this deployment, so these are the team’s sample
          figures.
        </p>
        <Figures rows={VISITS} caption="Visits and findings by region, October 2025" />
      </>
    );
  } else if (state.status === 'signedOut') {
    content = (
      <p className="notice notice--warning">
        Your session has ended, so the reports API can’t tell who you are. Sign in again to
        see your figures.
      </p>
    );
  } else {
    const reason =
      state.status === 'forbidden' ? 'The API refused the request.' : state.reason;
    content = (
      <div className="notice notice--error" role="alert">
        <p>We couldn’t load your figures. {reason}</p>
        <button type="button" className="button" onClick={load}>
          Try again
        </button>
      </div>
    );
  }

  return (
    <Page
      title="Reports"
      heading="Reports"
      lead="October 2025: site visits, findings and how many we have closed."
    >
      {content}
    </Page>
  );
}
