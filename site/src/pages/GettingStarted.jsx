import { Link } from '../router.jsx';
import { Page } from '../components/Page.jsx';
import { Breadcrumbs } from '../components/Breadcrumbs.jsx';

export default function GettingStarted() {
  return (
    <Page
      title="Getting started"
      heading="Getting started"
      lead="Welcome to the field team. This is your first week, in order."
      breadcrumbs={
        <Breadcrumbs
          items={[
            { to: '/', label: 'Home' },
            { to: '/docs', label: 'Docs' },
            { label: 'Getting started' },
          ]}
        />
      }
    >
      <section aria-labelledby="accounts">
        <h2 id="accounts">1. Accounts</h2>
        <p>
          You sign in to Field Notes with your Acme account; there is no separate password.
          Your team lead adds you to the right groups: <strong>Field</strong> for everyone on
          the team, <strong>Admin</strong> for the few who manage access and reports.
        </p>
      </section>
      <section aria-labelledby="kit">
        <h2 id="kit">2. Kit</h2>
        <p>Collect these from the stores on day one and sign for them:</p>
        <ul>
          <li>Rugged tablet with the survey app, charger and spare battery</li>
          <li>Hi-vis vest, hard hat, safety boots and gloves</li>
          <li>Personal gas monitor (bump-test it every morning)</li>
          <li>Winter: thermal layer and head torch, November to March</li>
        </ul>
      </section>
      <section aria-labelledby="checklist">
        <h2 id="checklist">3. The visit checklist</h2>
        <ol>
          <li>Check the site file and the last visit’s notes before you set off.</li>
          <li>Tell the duty lead where you are going and when you expect to be back.</li>
          <li>On arrival, sign in with the site contact and walk the route together.</li>
          <li>Record findings as you go, with a photo and a grid reference each.</li>
          <li>Before you leave, agree the actions with the site contact.</li>
          <li>Write up the visit the same day (see the handbook).</li>
        </ol>
      </section>
      <section aria-labelledby="people">
        <h2 id="people">4. Who to call</h2>
        <dl className="contacts">
          <dt>Duty lead</dt>
          <dd>The rota is pinned in #field-duty; call them first for anything on site.</dd>
          <dt>Stores</dt>
          <dd>Kit faults and replacements, weekdays 07:30 to 16:00.</dd>
          <dt>Service desk</dt>
          <dd>Accounts, tablets and access to Field Notes.</dd>
        </dl>
        <p>
          Next, read the <Link to="/docs/handbook">field handbook</Link>.
        </p>
      </section>
    </Page>
  );
}
