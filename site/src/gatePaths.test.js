import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { GATE_PATH_DEFAULTS, resolveGatePaths, signInUrl } from './gatePaths.js';

describe('resolveGatePaths', () => {
  it('uses the gate defaults when nothing is configured', () => {
    expect(resolveGatePaths({})).toEqual({
      whoami: '/_gate/me',
      signIn: '/_gate/sign-in',
      signOut: '/_gate/sign-out',
      refresh: '/_gate/refresh',
    });
    expect(resolveGatePaths({ VITE_GATE_WHOAMI: '  ' }).whoami).toBe(GATE_PATH_DEFAULTS.whoami);
  });

  it('honours VITE_GATE_WHOAMI, VITE_GATE_SIGN_IN, VITE_GATE_SIGN_OUT and VITE_GATE_REFRESH', () => {
    expect(
      resolveGatePaths({
        VITE_GATE_WHOAMI: '/auth/whoami',
        VITE_GATE_SIGN_IN: '/auth/login',
        VITE_GATE_SIGN_OUT: '/auth/logout',
        VITE_GATE_REFRESH: '/auth/refresh',
      }),
    ).toEqual({ whoami: '/auth/whoami', signIn: '/auth/login', signOut: '/auth/logout', refresh: '/auth/refresh' });
  });

  it('refuses an off-site refresh path too', () => {
    expect(() => resolveGatePaths({ VITE_GATE_REFRESH: '//evil.example/r' })).toThrow(/VITE_GATE_REFRESH/);
  });

  it.each(['https://evil.example/me', '//evil.example/me', 'me', '/me?x=1', '/a b', '/a\\b'])(
    'refuses %j, naming the variable',
    (value) => {
      expect(() => resolveGatePaths({ VITE_GATE_WHOAMI: value })).toThrow(/VITE_GATE_WHOAMI/);
    },
  );
});

describe('the gatePaths module', () => {
  it('reads the Vite env variables the gate build writes', async () => {
    vi.stubEnv('VITE_GATE_WHOAMI', '/edge/me');
    vi.stubEnv('VITE_GATE_SIGN_IN', '/edge/in');
    vi.stubEnv('VITE_GATE_SIGN_OUT', '/edge/out');
    vi.stubEnv('VITE_GATE_REFRESH', '/edge/refresh');
    vi.resetModules();
    const { gatePaths } = await import('./gatePaths.js');
    expect(gatePaths).toEqual({ whoami: '/edge/me', signIn: '/edge/in', signOut: '/edge/out', refresh: '/edge/refresh' });
  });

  it('falls back to the defaults without them', async () => {
    vi.stubEnv('VITE_GATE_WHOAMI', '');
    vi.stubEnv('VITE_GATE_SIGN_IN', '');
    vi.stubEnv('VITE_GATE_SIGN_OUT', '');
    vi.stubEnv('VITE_GATE_REFRESH', '');
    vi.resetModules();
    const { gatePaths } = await import('./gatePaths.js');
    expect(gatePaths).toEqual(GATE_PATH_DEFAULTS);
  });
});

describe('signInUrl', () => {
  const paths = resolveGatePaths({});
  it('carries the current path and query, URL-encoded', () => {
    expect(signInUrl(paths, '/docs/handbook?tab=2&x=a b')).toBe(
      '/_gate/sign-in?return=%2Fdocs%2Fhandbook%3Ftab%3D2%26x%3Da%20b',
    );
  });
  it('never hands the gate an off-site return target', () => {
    expect(signInUrl(paths, '//evil.example/')).toBe('/_gate/sign-in?return=%2F');
    expect(signInUrl(paths, 'https://evil.example/')).toBe('/_gate/sign-in?return=%2F');
  });
});

describe('one source of truth', () => {
  const siteDir = join(dirname(fileURLToPath(import.meta.url)), '..');
  const files = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (/\.(jsx?|html|css)$/.test(name)) files.push(full);
    }
  };
  walk(join(siteDir, 'src'));
  files.push(join(siteDir, 'index.html'));

  it('no file but gatePaths.js spells out a gate path', () => {
    const offenders = files.filter(
      (f) =>
        !f.endsWith('gatePaths.js') &&
        !/\.test\.jsx?$/.test(f) &&
        !f.includes(`${join('src', 'test')}`) &&
        /\/_gate\b/.test(readFileSync(f, 'utf8')),
    );
    expect(offenders).toEqual([]);
  });
});
