import { Link } from '../router.jsx';

export function Footer() {
  return (
    <footer className="site-footer">
      <div className="site-footer__inner">
        <p>
          <strong>Acme Field Notes</strong> · internal to the Acme field team. Every page is
          served behind the team sign-in gate.
        </p>
        <p>
          Something wrong or missing? Read <Link to="/docs/handbook#contributing">how to
          contribute</Link> or ask in <span className="mono">#field-notes</span>.
        </p>
      </div>
    </footer>
  );
}
