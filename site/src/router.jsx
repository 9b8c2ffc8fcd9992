// A tiny client-side router: History API, one context, <Link>, <NavLink>.
// Deep links work because CloudFront (and the local demo) answer unknown paths with
// index.html, and this router then reads window.location.
import { createContext, useCallback, useContext, useEffect, useMemo, useState } from 'react';

const RouterContext = createContext(null);

function readLocation() {
  const { pathname, search, hash } = window.location;
  return { pathname, search, hash };
}

/** "/docs/handbook/" and "/docs/handbook" are the same page. */
export function normalizePath(pathname) {
  if (!pathname) return '/';
  const trimmed = pathname.length > 1 ? pathname.replace(/\/+$/, '') : pathname;
  return trimmed === '' ? '/' : trimmed;
}

export function Router({ children }) {
  const [location, setLocation] = useState(readLocation);
  // How many in-app navigations happened; 0 means "first page of this load", used to
  // decide whether to move focus to the new page's heading.
  const [navigations, setNavigations] = useState(0);

  useEffect(() => {
    const onPopState = () => {
      setLocation(readLocation());
      setNavigations((n) => n + 1);
    };
    window.addEventListener('popstate', onPopState);
    return () => window.removeEventListener('popstate', onPopState);
  }, []);

  const navigate = useCallback((to, { replace = false } = {}) => {
    const current = window.location.pathname + window.location.search + window.location.hash;
    if (to === current) return;
    if (replace) window.history.replaceState(null, '', to);
    else window.history.pushState(null, '', to);
    setLocation(readLocation());
    setNavigations((n) => n + 1);
  }, []);

  const value = useMemo(
    () => ({ location, navigate, navigations }),
    [location, navigate, navigations],
  );
  return <RouterContext.Provider value={value}>{children}</RouterContext.Provider>;
}

export function useRouter() {
  const ctx = useContext(RouterContext);
  if (!ctx) throw new Error('useRouter() needs a <Router> above it');
  return ctx;
}

export function useLocation() {
  return useRouter().location;
}

function isPlainLeftClick(event) {
  return (
    event.button === 0 &&
    !event.defaultPrevented &&
    !event.metaKey &&
    !event.ctrlKey &&
    !event.shiftKey &&
    !event.altKey
  );
}

/**
 * An in-app link. With reloadDocument it is an ordinary link (full page load), which
 * is what paths the gate must check on every request (e.g. /admin) need.
 */
export function Link({ to, reloadDocument = false, onClick, children, ...rest }) {
  const { navigate } = useRouter();
  const handleClick = (event) => {
    if (onClick) onClick(event);
    if (reloadDocument || rest.target || !isPlainLeftClick(event)) return;
    event.preventDefault();
    navigate(to);
  };
  return (
    <a href={to} onClick={handleClick} {...rest}>
      {children}
    </a>
  );
}

/** A Link that marks itself aria-current="page" (exact) or "true" (section). */
export function NavLink({ to, end = false, className = '', ...rest }) {
  const { pathname } = useLocation();
  const here = normalizePath(pathname);
  const target = normalizePath(to);
  const exact = here === target;
  const inside = !end && target !== '/' && here.startsWith(`${target}/`);
  const current = exact ? 'page' : inside ? 'true' : undefined;
  const cls = [className, current ? 'is-active' : ''].filter(Boolean).join(' ') || undefined;
  return <Link to={to} aria-current={current} className={cls} {...rest} />;
}
