// A browser (tabs sharing one cookie jar, one lock manager, one BroadcastChannel bus) and a
// gate in front of an IdP, all fake, for the gate-session module's tests.
//
// The gate follows the contract in site/README.md ("Using the session module"):
//   GET  who-am-I  200 {signedIn, ..., expiresAt}; refreshes inline only when the ID token
//                  has expired; 401 {signedIn:false, reason}.
//   POST refresh   needs X-Gate-Request: 1; 200 like who-am-I; 401 signed_out/refresh_refused;
//                  502 {error} when the IdP fails.
//   other paths    401 + X-Gate-Reason when the session is expired/absent, else 200 JSON.
// The IdP rotates refresh tokens and treats reuse of a spent one as theft, revoking the
// whole family: oidc-provider's default (its rotateRefreshToken; FIELD-NOTES "Refresh-token
// rotation"; the classic multi-tab failure in oauth2-proxy#1992).

export const ORIGIN = 'https://site.example';
export const PATHS = Object.freeze({
  whoamiUrl: '/_gate/me',
  refreshUrl: '/_gate/refresh',
  signInPath: '/_gate/sign-in',
});

const json = (status, body, headers = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class FakeGate {
  constructor({ ttl = 600, latencyMs = 50, whoamiRefreshesInline = true, clockOffsetMs = 0 } = {}) {
    this.ttl = ttl;
    this.latencyMs = latencyMs;
    this.whoamiRefreshesInline = whoamiRefreshesInline;
    this.clockOffsetMs = clockOffsetMs; // the gate's clock minus the browser's
    this.jar = { rt: 'rt-0', exp: this.now() + ttl }; // the browser's cookies
    this.counter = 0;
    this.spent = new Set();
    this.revoked = false;
    this.reuseDetected = false;
    this.idpSpends = 0;
    this.log = []; // { method, path }
    this.refreshFault = null; // e.g. 502
    this.user = { sub: 'sub-ada', username: 'ada', email: 'ada@acme.example', name: 'Ada', groups: ['Field'] };
  }

  now() {
    return Math.floor((Date.now() + this.clockOffsetMs) / 1000);
  }

  posts() {
    return this.log.filter((r) => r.method === 'POST' && r.path === PATHS.refreshUrl).length;
  }

  signOut() {
    this.jar = { rt: null, exp: 0 };
  }

  expireNow() {
    this.jar.exp = this.now() - 1;
  }

  body() {
    return { signedIn: true, ...this.user, expiresAt: this.jar.exp };
  }

  dateHeader() {
    return { Date: new Date(Date.now() + this.clockOffsetMs).toUTCString() };
  }

  // Spend a refresh token at the IdP. `rt` is the cookie the request carried when sent.
  spend(rt) {
    this.idpSpends += 1;
    if (this.revoked || !rt) return 'refused';
    if (this.spent.has(rt)) {
      this.reuseDetected = true;
      this.revoked = true;
      return 'refused';
    }
    if (this.refreshFault) return 'fault';
    this.spent.add(rt);
    this.counter += 1;
    this.jar = { rt: `rt-${this.counter}`, exp: this.now() + this.ttl };
    return 'ok';
  }

  fetch = async (input, init = {}) => {
    const url = new URL(typeof input === 'string' ? input : input.url, ORIGIN);
    const method = (init.method || 'GET').toUpperCase();
    const headers = new Headers(init.headers);
    const carried = { ...this.jar }; // cookies go out with the request
    this.log.push({ method, path: url.pathname, headers });
    await sleep(this.latencyMs);
    const expired = carried.exp <= this.now();

    if (url.pathname === PATHS.whoamiUrl) {
      if (!carried.rt && expired) return json(401, { signedIn: false, reason: 'signed_out' }, this.dateHeader());
      if (expired) {
        if (!this.whoamiRefreshesInline) {
          return json(401, { signedIn: false, reason: 'session_expired' }, this.dateHeader());
        }
        const outcome = this.spend(carried.rt);
        if (outcome === 'refused') {
          this.signOut();
          return json(401, { signedIn: false, reason: 'refresh_refused' }, this.dateHeader());
        }
        if (outcome === 'fault') return json(502, { signedIn: false, error: 'idp_unavailable' });
      }
      return json(200, this.body(), this.dateHeader());
    }

    if (url.pathname === PATHS.refreshUrl) {
      if (method !== 'POST' || headers.get('X-Gate-Request') !== '1') {
        return json(403, { error: 'csrf' });
      }
      if (!carried.rt) return json(401, { signedIn: false, reason: 'signed_out' });
      const outcome = this.spend(carried.rt);
      if (outcome === 'refused') {
        this.signOut();
        return json(401, { signedIn: false, reason: 'refresh_refused' });
      }
      if (outcome === 'fault') return json(this.refreshFault, { signedIn: false, error: 'idp_unavailable' });
      return json(200, this.body(), this.dateHeader());
    }

    // any other protected path (an API call, a chunk)
    if (expired) {
      const reason = carried.rt ? 'session_expired' : 'signed_out';
      return json(
        401,
        { signedIn: false, reason, signInUrl: '/_gate/sign-in?return=%2F', refreshUrl: PATHS.refreshUrl },
        { 'X-Gate-Reason': reason },
      );
    }
    return json(200, { ok: true, path: url.pathname, gateRequest: headers.get('X-Gate-Request') });
  };
}

/**
 * One browser: a Web Locks manager, a BroadcastChannel bus and (optionally) one localStorage
 * that all its tabs share. A write to that storage fires 'storage' in every OTHER tab's
 * window, as browsers do.
 */
export function fakeBrowser({ locks = true, channels = true, storage = false } = {}) {
  const queues = new Map();
  const lockManager = {
    request(name, _options, callback) {
      return new Promise((resolve, reject) => {
        const queue = queues.get(name) || [];
        queues.set(name, queue);
        const grant = () =>
          Promise.resolve()
            .then(() => callback({ name, mode: 'exclusive' }))
            .then(resolve, reject)
            .finally(() => {
              queue.shift();
              if (queue.length) queue[0]();
            });
        queue.push(grant);
        if (queue.length === 1) grant();
      });
    },
  };
  const bus = new Set();
  class FakeBroadcastChannel {
    constructor(name) {
      this.name = name;
      this.onmessage = null;
      bus.add(this);
    }
    postMessage(data) {
      const copy = structuredClone(data);
      for (const other of bus) {
        if (other !== this && other.name === this.name) {
          Promise.resolve().then(() => other.onmessage && other.onmessage({ data: copy }));
        }
      }
    }
    close() {
      bus.delete(this);
    }
  }
  const data = new Map();
  const windows = new Set();
  const storageFor = (own) => ({
    getItem: (k) => (data.has(k) ? data.get(k) : null),
    setItem(k, v) {
      const value = String(v);
      const old = data.has(k) ? data.get(k) : null;
      data.set(k, value);
      if (old === value) return;
      for (const w of windows) {
        if (w !== own) {
          const event = new Event('storage');
          Object.assign(event, { key: k, oldValue: old, newValue: value });
          Promise.resolve().then(() => w.dispatchEvent(event));
        }
      }
    },
    removeItem: (k) => data.delete(k),
  });
  return {
    storageData: data,
    tabEnv(path = '/docs') {
      const document = new EventTarget();
      document.visibilityState = 'visible';
      const window = new EventTarget();
      windows.add(window);
      const [pathname, search = ''] = path.split('?');
      return {
        navigator: locks ? { locks: lockManager } : {},
        BroadcastChannel: channels ? FakeBroadcastChannel : undefined,
        localStorage: storage ? storageFor(window) : undefined,
        document,
        window,
        location: { origin: ORIGIN, href: ORIGIN + path, pathname, search: search ? `?${search}` : '' },
      };
    },
  };
}

export function setVisibility(env, visibilityState) {
  env.document.visibilityState = visibilityState;
  env.document.dispatchEvent(new Event('visibilitychange'));
}
