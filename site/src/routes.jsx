import Home from './pages/Home.jsx';
import DocsIndex from './pages/DocsIndex.jsx';
import GettingStarted from './pages/GettingStarted.jsx';
import Handbook from './pages/Handbook.jsx';
import NotFound from './pages/NotFound.jsx';
import { lazyWithRetry } from 'gate-session/react';
import { normalizePath } from './router.jsx';

// Reports and Admin load as their own chunks (more hashed assets behind the gate). A chunk
// asked for after the session expired gets a 401: lazyWithRetry refreshes the session and
// loads it again instead of unmounting the app.
const Reports = lazyWithRetry(() => import('./pages/Reports.jsx'));
const Admin = lazyWithRetry(() => import('./pages/Admin.jsx'));

export const routes = [
  { path: '/', component: Home },
  { path: '/docs', component: DocsIndex },
  { path: '/docs/getting-started', component: GettingStarted },
  { path: '/docs/handbook', component: Handbook },
  { path: '/reports', component: Reports },
  { path: '/admin', component: Admin },
];

export function matchRoute(pathname) {
  const path = normalizePath(pathname);
  const route = routes.find((r) => r.path === path);
  return route ? route.component : NotFound;
}
