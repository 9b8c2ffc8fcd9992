// The ONE place the site learns the sign-in gate's endpoint paths.
//
// The gate's build.py writes VITE_GATE_WHOAMI, VITE_GATE_SIGN_IN, VITE_GATE_SIGN_OUT and
// VITE_GATE_REFRESH into site/.env.production.local (its --site-env option) from the [paths] table of
// gate.toml, so changing the paths there and rebuilding keeps the site in step.
// Nothing else in the site may spell these paths out.

export const GATE_PATH_DEFAULTS = Object.freeze({
  whoami: '/_gate/me',
  signIn: '/_gate/sign-in',
  signOut: '/_gate/sign-out',
  refresh: '/_gate/refresh',
});

const ENV_NAMES = Object.freeze({
  whoami: 'VITE_GATE_WHOAMI',
  signIn: 'VITE_GATE_SIGN_IN',
  signOut: 'VITE_GATE_SIGN_OUT',
  refresh: 'VITE_GATE_REFRESH',
});

// A same-origin absolute path: starts with one "/", no scheme, no "//" host, no query,
// fragment, whitespace or backslash (those would change what the browser asks for).
const PATH_RE = /^\/(?!\/)[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/;

/**
 * Work out the gate paths from an env object (import.meta.env at run time, Vite's
 * loadEnv() at build time). Empty or missing values fall back to the defaults; a value
 * that is not a same-origin path throws, naming the variable.
 */
export function resolveGatePaths(env = {}) {
  const out = {};
  for (const [key, name] of Object.entries(ENV_NAMES)) {
    const raw = env[name];
    const value = typeof raw === 'string' ? raw.trim() : '';
    if (value === '') {
      out[key] = GATE_PATH_DEFAULTS[key];
    } else if (PATH_RE.test(value)) {
      out[key] = value;
    } else {
      throw new Error(
        `${name}=${JSON.stringify(raw)} is not a same-origin path; ` +
          `use an absolute path such as ${JSON.stringify(GATE_PATH_DEFAULTS[key])}`,
      );
    }
  }
  return Object.freeze(out);
}

/** The sign-in URL that brings the person back to returnTo (path + query) afterwards. */
export function signInUrl(paths, returnTo) {
  const target =
    typeof returnTo === 'string' && returnTo.startsWith('/') && !returnTo.startsWith('//')
      ? returnTo
      : '/';
  return `${paths.signIn}?return=${encodeURIComponent(target)}`;
}

export const gatePaths = resolveGatePaths(import.meta.env);

export default gatePaths;
