import { Link, useLocation } from '../router.jsx';
import { Page } from '../components/Page.jsx';

export default function NotFound() {
  const { pathname } = useLocation();
  return (
    <Page title="Page not found" heading="Page not found">
      <p>
        There is no page at <code className="mono">{pathname}</code>. It may have moved, or
        the link may be mistyped.
      </p>
      <ul>
        <li>
          <Link to="/">Go to the Field Notes home page</Link>
        </li>
        <li>
          <Link to="/docs">Browse the docs</Link>
        </li>
      </ul>
    </Page>
  );
}
