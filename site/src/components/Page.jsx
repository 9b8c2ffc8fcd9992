import { useEffect, useRef } from 'react';
import { useRouter } from '../router.jsx';

export const SITE_NAME = 'Acme Field Notes';

export function documentTitle(title) {
  return !title || title === SITE_NAME ? SITE_NAME : `${title} · ${SITE_NAME}`;
}

/**
 * Every page: sets the tab title, renders the one <h1>, and after an in-app navigation
 * moves focus to that heading so screen-reader and keyboard users land on the new page.
 */
export function Page({ title, heading = title, lead, breadcrumbs, className, children }) {
  const { navigations } = useRouter();
  const headingRef = useRef(null);
  const focusOnMount = useRef(navigations > 0);

  useEffect(() => {
    document.title = documentTitle(title);
  }, [title]);

  useEffect(() => {
    // A link to a section of this page ("/docs/handbook#contributing"): show that section.
    let id = '';
    try {
      id = decodeURIComponent(window.location.hash.slice(1));
    } catch {
      id = '';
    }
    const target = id ? document.getElementById(id) : null;
    if (target) {
      if (typeof target.scrollIntoView === 'function') target.scrollIntoView();
      if (focusOnMount.current) {
        target.setAttribute('tabindex', '-1');
        target.focus();
      }
      return;
    }
    if (focusOnMount.current && headingRef.current) headingRef.current.focus();
  }, []);

  return (
    <article className={['page', className].filter(Boolean).join(' ')}>
      {breadcrumbs}
      <div className="page__header">
        <h1 className="page__title" tabIndex={-1} ref={headingRef}>
          {heading}
        </h1>
        {lead ? <p className="page__lead">{lead}</p> : null}
      </div>
      {children}
    </article>
  );
}
