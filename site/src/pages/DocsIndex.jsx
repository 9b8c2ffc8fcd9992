import { Link } from '../router.jsx';
import { Page } from '../components/Page.jsx';
import { Breadcrumbs } from '../components/Breadcrumbs.jsx';

export default function DocsIndex() {
  return (
    <Page
      title="Docs"
      heading="Docs"
      lead="Everything the field team has written down so far."
      breadcrumbs={<Breadcrumbs items={[{ to: '/', label: 'Home' }, { label: 'Docs' }]} />}
    >
      <ul className="cards">
        <li className="card">
          <h2 className="card__title">
            <Link to="/docs/getting-started">Getting started</Link>
          </h2>
          <p>For your first week on the team.</p>
        </li>
        <li className="card">
          <h2 className="card__title">
            <Link to="/docs/handbook">Field handbook</Link>
          </h2>
          <p>The rules and habits we keep on every visit.</p>
        </li>
      </ul>
    </Page>
  );
}
