// Cross-tab plumbing for the gate session: one lock per browser, one message channel.
// No dependencies; every browser global is read from `env` so tests can hand in fakes.

/**
 * Run fn while holding the browser-wide lock `name`; resolves to fn's result.
 * Web Locks first (all current browsers); else a best-effort localStorage lease;
 * else no lock at all (the caller still shares one in-flight promise per tab).
 */
export function withLock(env, name, fn, { leaseMs = 15000 } = {}) {
  const locks = env.navigator && env.navigator.locks;
  if (locks && typeof locks.request === 'function') {
    return locks.request(name, { mode: 'exclusive' }, () => fn());
  }
  const storage = safeStorage(env);
  if (storage) return storageLease(env, storage, `${name}:lease`, fn, leaseMs);
  return fn();
}

function safeStorage(env) {
  try {
    const s = env.localStorage;
    if (!s) return null;
    const probe = '__gate_probe__';
    s.setItem(probe, '1');
    s.removeItem(probe);
    return s;
  } catch {
    return null; // private mode, storage disabled, sandboxed iframe
  }
}

function readLease(storage, key) {
  try {
    const v = JSON.parse(storage.getItem(key) || 'null');
    return v && typeof v.owner === 'string' && Number.isFinite(v.until) ? v : null;
  } catch {
    return null;
  }
}

/**
 * A lease in localStorage: write our id, wait a moment, read it back; whoever's id
 * survives holds it. Not airtight (storage has no compare-and-set) but two tabs racing
 * within the settle window is rare, and the lease expires so a closed tab never blocks.
 * Gives up waiting after two lease periods and runs fn anyway.
 */
async function storageLease(env, storage, key, fn, leaseMs) {
  const setTimeoutFn = env.setTimeout || globalThis.setTimeout;
  const sleep = (ms) => new Promise((resolve) => setTimeoutFn(resolve, ms));
  const me = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  const giveUpAt = Date.now() + 2 * leaseMs;
  while (Date.now() < giveUpAt) {
    const held = readLease(storage, key);
    if (!held || held.until <= Date.now()) {
      storage.setItem(key, JSON.stringify({ owner: me, until: Date.now() + leaseMs }));
      await sleep(25);
      if (readLease(storage, key)?.owner === me) {
        try {
          return await fn();
        } finally {
          if (readLease(storage, key)?.owner === me) storage.removeItem(key);
        }
      }
    }
    await sleep(100 + Math.floor(Math.random() * 100));
  }
  return fn();
}

/**
 * A message channel to the other tabs: BroadcastChannel, else localStorage 'storage'
 * events. Returns { post(message), close() }; onMessage gets what other tabs posted.
 */
export function openChannel(env, name, onMessage) {
  const BC = env.BroadcastChannel;
  if (typeof BC === 'function') {
    const channel = new BC(name);
    channel.onmessage = (event) => onMessage(event.data);
    return {
      post: (message) => {
        try {
          channel.postMessage(message);
        } catch {
          /* closed */
        }
      },
      close: () => channel.close(),
    };
  }
  const storage = safeStorage(env);
  const target = env.window || env;
  if (storage && typeof target.addEventListener === 'function') {
    const key = `${name}:message`;
    const onStorage = (event) => {
      if (event.key !== key || !event.newValue) return;
      try {
        onMessage(JSON.parse(event.newValue).message);
      } catch {
        /* not ours */
      }
    };
    target.addEventListener('storage', onStorage);
    return {
      // The nonce makes every post a change, so a repeated message still fires 'storage'.
      post: (message) => storage.setItem(key, JSON.stringify({ message, nonce: Math.random() })),
      close: () => target.removeEventListener('storage', onStorage),
    };
  }
  return { post: () => {}, close: () => {} };
}
