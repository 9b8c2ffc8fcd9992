import { Page } from '../components/Page.jsx';

// October 2025 figures, as reported at the November team meeting.
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

function VisitsChart() {
  const max = Math.max(...VISITS.map((v) => v.visits));
  const height = VISITS.length * (BAR_HEIGHT + GAP);
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
          {VISITS.map((v) => `${v.region} ${v.visits}`).join(', ')}
        </title>
        {VISITS.map((v, i) => {
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

export default function Reports() {
  const total = VISITS.reduce(
    (acc, v) => ({
      visits: acc.visits + v.visits,
      findings: acc.findings + v.findings,
      closed: acc.closed + v.closed,
    }),
    { visits: 0, findings: 0, closed: 0 },
  );
  const pct = (n, d) => `${Math.round((n / d) * 100)}%`;

  return (
    <Page
      title="Reports"
      heading="Reports"
      lead="October 2025: site visits, findings and how many we have closed."
    >
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
          <span className="stat__value">{pct(total.closed, total.findings)}</span>
          <span className="stat__label">findings closed</span>
        </li>
      </ul>
      <VisitsChart />
      <div className="table-scroll" role="region" aria-labelledby="by-region" tabIndex={0}>
        <table className="table">
          <caption id="by-region">Visits and findings by region, October 2025</caption>
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
            {VISITS.map((v) => (
              <tr key={v.region}>
                <th scope="row">{v.region}</th>
                <td className="num">{v.visits}</td>
                <td className="num">{v.findings}</td>
                <td className="num">{v.closed}</td>
                <td className="num">{pct(v.closed, v.findings)}</td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row">All regions</th>
              <td className="num">{total.visits}</td>
              <td className="num">{total.findings}</td>
              <td className="num">{total.closed}</td>
              <td className="num">{pct(total.closed, total.findings)}</td>
            </tr>
          </tfoot>
        </table>
      </div>
    </Page>
  );
}
