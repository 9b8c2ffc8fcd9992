import logoUrl from '../assets/logo.svg';
import { Link, NavLink } from '../router.jsx';
import { ADMIN_GROUP, isInGroup, useSession } from '../session.jsx';
import { SessionStatus } from './SessionStatus.jsx';
import { SITE_NAME } from './Page.jsx';

export function Header() {
  const session = useSession();
  const isAdmin = session.status === 'signedIn' && isInGroup(session.user, ADMIN_GROUP);

  return (
    <header className="site-header">
      <div className="site-header__inner">
        <Link to="/" className="brand">
          <img className="brand__logo" src={logoUrl} alt="" width="36" height="36" />
          <span className="brand__name">{SITE_NAME}</span>
        </Link>
        <nav className="site-nav" aria-label="Main">
          <ul>
            <li>
              <NavLink to="/" end>
                Home
              </NavLink>
            </li>
            <li>
              <NavLink to="/docs/getting-started">Getting started</NavLink>
            </li>
            <li>
              <NavLink to="/docs/handbook">Handbook</NavLink>
            </li>
            <li>
              <NavLink to="/reports">Reports</NavLink>
            </li>
            {isAdmin ? (
              <li>
                {/* A full page load, so the gate checks the Admin group on the request. */}
                <NavLink to="/admin" reloadDocument>
                  Admin
                </NavLink>
              </li>
            ) : null}
          </ul>
        </nav>
        <SessionStatus />
      </div>
    </header>
  );
}
