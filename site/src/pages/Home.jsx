import { Link } from '../router.jsx';
import { Page, SITE_NAME } from '../components/Page.jsx';
import { displayName, useSession } from '../session.jsx';

const UPDATES = [
  {
    date: '2025-11-18',
    label: '18 Nov 2025',
    to: '/docs/handbook#safety',
    title: 'Handbook: lone-working check-ins now every 2 hours',
  },
  {
    date: '2025-11-12',
    label: '12 Nov 2025',
    to: '/reports',
    title: 'Reports: October site visits and open findings',
  },
  {
    date: '2025-11-04',
    label: '4 Nov 2025',
    to: '/docs/getting-started#kit',
    title: 'Getting started: new tablet kit list for winter',
  },
];

function Greeting() {
  const session = useSession();
  if (session.status !== 'signedIn') return null;
  return <p className="greeting">Good to see you, {displayName(session.user)}.</p>;
}

export default function Home() {
  return (
    <Page
      title={SITE_NAME}
      heading="Acme Field Notes"
      lead="The field team’s shared notebook: how we work, what we’ve learned on site, and where things stand."
      className="page--home"
    >
      <Greeting />
      <section aria-labelledby="start-title">
        <h2 id="start-title">Where to start</h2>
        <ul className="cards">
          <li className="card">
            <h3 className="card__title">
              <Link to="/docs/getting-started">Getting started</Link>
            </h3>
            <p>Your first week: accounts, kit, the visit checklist and who to call.</p>
          </li>
          <li className="card">
            <h3 className="card__title">
              <Link to="/docs/handbook">Field handbook</Link>
            </h3>
            <p>Safety rules, how we write up a visit, and how to improve these notes.</p>
          </li>
          <li className="card">
            <h3 className="card__title">
              <Link to="/reports">Reports</Link>
            </h3>
            <p>Site visits by region, open findings and how fast we close them.</p>
          </li>
        </ul>
      </section>
      <section aria-labelledby="updates-title">
        <h2 id="updates-title">Recently updated</h2>
        <ul className="updates">
          {UPDATES.map((u) => (
            <li key={u.title}>
              <time dateTime={u.date}>{u.label}</time>
              <Link to={u.to}>{u.title}</Link>
            </li>
          ))}
        </ul>
      </section>
    </Page>
  );
}
