// The gate session, seen from page JavaScript: when it expires, when to refresh it, and a
// fetch that survives an expired session. Plain ES module, no dependencies, no React:
// install the gate-session package (npm install ./gate-session-X.Y.Z.tgz). The page never sees a token; the gate keeps them in
// HttpOnly cookies and answers JSON (see site/README.md, "Using the session module").
import { openChannel, withLock } from './crossTab.js';

/** Why the gate says a request was refused (its X-Gate-Reason header and JSON `reason`). */
export const REASONS = Object.freeze({
  expired: 'session_expired', // a refresh may fix it
  signedOut: 'signed_out', // it won't
  refused: 'refresh_refused', // the IdP refused the refresh token: session over
});

const ENDED_REASONS = new Set([REASONS.signedOut, REASONS.refused]);

/** The session has really ended: only signing in again helps. */
export class SessionEndedError extends Error {
  constructor(reason = REASONS.signedOut, signInUrl = null) {
    super(`The session has ended (${reason}).`);
    this.name = 'SessionEndedError';
    this.reason = reason;
    this.signInUrl = signInUrl;
  }
}

/** A lazily loaded chunk could not be loaded for a reason a refresh did not fix. */
export class ChunkLoadError extends Error {
  constructor(message, { cause, transient = false } = {}) {
    super(message);
    this.name = 'ChunkLoadError';
    this.cause = cause;
    this.transient = transient;
  }
}

export function isSessionEndedError(error) {
  return Boolean(error) && (error instanceof SessionEndedError || error.name === 'SessionEndedError');
}

// setTimeout stores its delay in 32 bits: anything longer fires at once.
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

const DEFAULTS = Object.freeze({
  leadSeconds: 60, // refresh this long before expiresAt (at most half the time left)
  minDelayMs: 10_000, // no automatic attempt sooner than this after the last one
  retryDelaysMs: [10_000, 30_000, 60_000, 120_000, 300_000], // after a 5xx/network failure
  recheckAfterMs: 5 * 60_000, // a tab shown again after this long asks who-am-I
  requestTimeoutMs: 15_000,
  lockName: 'gate-refresh',
  channelName: 'gate-session',
});

function normalizeUser(body) {
  return {
    sub: body.sub ?? null,
    username: body.username ?? null,
    email: body.email ?? null,
    name: body.name ?? null,
    groups: Array.isArray(body.groups) ? body.groups.slice() : [],
  };
}

function safeReturnPath(returnTo) {
  return typeof returnTo === 'string' && returnTo.startsWith('/') && !returnTo.startsWith('//')
    ? returnTo
    : '/';
}

/**
 * Pull the chunk's URL out of a failed dynamic import's message, if it is there and on
 * this origin. Chromium: "Failed to fetch dynamically imported module: <url>", Firefox:
 * "error loading dynamically imported module: <url>"; Safari names no URL.
 */
export function chunkUrlFromError(error, origin) {
  const message = error && typeof error.message === 'string' ? error.message : '';
  const match = /(https?:\/\/[^\s'"<>]+)/.exec(message);
  if (!match) return null;
  try {
    const url = new URL(match[1]);
    return origin && url.origin !== origin ? null : url.href;
  } catch {
    return null;
  }
}

/** The same URL with a query parameter that makes it a new entry in the module map. */
export function withRetryQuery(href, attempt) {
  const url = new URL(href);
  url.searchParams.set('gate-retry', String(attempt));
  return url.href;
}

/**
 * Create the session for one page. Options:
 *   whoamiUrl, refreshUrl, signInPath   the gate's paths (same origin)
 *   fetch      fetch implementation (default: the global one, looked up at call time)
 *   env        where browser globals come from (default globalThis): navigator.locks,
 *              BroadcastChannel, localStorage, document, location, setTimeout
 *   plus any of DEFAULTS above.
 */
export function createGateSession(options = {}) {
  const o = { ...DEFAULTS, ...options };
  const env = o.env || globalThis;
  const fetchImpl = o.fetch || ((...args) => globalThis.fetch(...args));
  const setT = (fn, ms) => (env.setTimeout || globalThis.setTimeout)(fn, ms);
  const clearT = (id) => (env.clearTimeout || globalThis.clearTimeout)(id);
  const leadMs = o.leadSeconds * 1000;

  let state = { status: 'loading', user: null, expiresAt: null, reason: null };
  let generation = 0; // bumps whenever a newer session is adopted
  let skewMs = 0; // gate clock minus ours, from the Date header
  let inflight = null;
  let timer = null;
  let failures = 0;
  let lastFailure = null; // { at, result } of the last transient failure
  let lastCheckAt = 0;
  let started = false;
  let channel = null;
  let checkTicket = 0;
  const listeners = new Set();

  const now = () => Date.now() + skewMs;
  const remainingMs = (expiresAt) => (expiresAt == null ? -Infinity : expiresAt * 1000 - now());
  const origin = () => (env.location && env.location.origin) || null;

  function emit() {
    for (const fn of [...listeners]) fn(state);
  }

  function setState(next) {
    state = next;
    emit();
  }

  function learnSkew(response) {
    const date = response.headers && response.headers.get && response.headers.get('date');
    const parsed = date ? Date.parse(date) : NaN;
    if (Number.isFinite(parsed)) skewMs = parsed - Date.now();
  }

  async function request(url, init) {
    const controller = typeof AbortController === 'function' ? new AbortController() : null;
    const timeout = controller ? setT(() => controller.abort(), o.requestTimeoutMs) : null;
    try {
      const response = await fetchImpl(url, {
        credentials: 'same-origin',
        cache: 'no-store',
        ...init,
        ...(controller ? { signal: controller.signal } : {}),
      });
      learnSkew(response);
      let body = null;
      try {
        body = await response.json();
      } catch {
        body = null;
      }
      return { status: response.status, body };
    } catch (error) {
      return { status: 0, body: null, error };
    } finally {
      if (timeout !== null) clearT(timeout);
    }
  }

  /** Classify an answer from who-am-I or refresh. */
  function classify(answer) {
    const { status, body } = answer;
    if (status === 200 && body && typeof body === 'object' && body.signedIn === true) {
      return { kind: 'session', body };
    }
    if (status === 401) {
      const reason = body && typeof body.reason === 'string' ? body.reason : REASONS.signedOut;
      return { kind: 'unauthorized', reason };
    }
    if (status === 0) return { kind: 'error', reason: 'The network request failed.' };
    if (status === 200) return { kind: 'error', reason: 'The gate’s answer did not describe a session.' };
    return { kind: 'error', reason: `The gate answered with status ${status}.`, status };
  }

  function adopt(body, { broadcast }) {
    const expiresAt = Number.isFinite(body.expiresAt) ? body.expiresAt : null;
    const user = normalizeUser(body);
    generation += 1;
    failures = 0;
    lastCheckAt = Date.now();
    setState({ status: 'signedIn', user, expiresAt, reason: null });
    schedule();
    if (broadcast && channel) channel.post({ type: 'session', user, expiresAt });
  }

  function end(reason, { broadcast }) {
    clearTimer();
    checkTicket += 1; // a who-am-I answer still on its way is older news
    generation += 1;
    setState({ status: 'signedOut', user: null, expiresAt: null, reason });
    if (broadcast && channel) channel.post({ type: 'ended', reason });
  }

  function clearTimer() {
    if (timer !== null) clearT(timer);
    timer = null;
  }

  /** Next automatic refresh: lead before expiry (at most half the time left), clamped. */
  function schedule() {
    clearTimer();
    if (!started || state.status !== 'signedIn' || state.expiresAt == null) return;
    const left = remainingMs(state.expiresAt);
    const lead = Math.min(leadMs, Math.max(0, left / 2));
    const delay = Math.min(Math.max(left - lead, o.minDelayMs), MAX_TIMEOUT_MS);
    timer = setT(() => {
      timer = null;
      ensureFresh();
    }, delay);
  }

  function scheduleRetry() {
    clearTimer();
    if (!started) return;
    const delays = o.retryDelaysMs;
    const delay = Math.max(delays[Math.min(failures - 1, delays.length - 1)], o.minDelayMs);
    timer = setT(() => {
      timer = null;
      ensureFresh();
    }, delay);
  }

  /**
   * Ask who-am-I and take its answer as the state. A 401 that says the session merely
   * expired gets one refresh. Resolves to the new state; never rejects.
   */
  async function check({ showLoading = false } = {}) {
    const ticket = ++checkTicket;
    if (showLoading) setState({ status: 'loading', user: null, expiresAt: null, reason: null });
    const result = classify(await request(o.whoamiUrl, { method: 'GET', headers: { Accept: 'application/json' } }));
    if (ticket !== checkTicket) return state; // a newer check owns the state
    lastCheckAt = Date.now();
    if (result.kind === 'session') adopt(result.body, { broadcast: false });
    else if (result.kind === 'unauthorized' && result.reason === REASONS.expired) {
      const fresh = await ensureFresh();
      if (!fresh.ok && !fresh.ended && state.status !== 'signedIn') {
        setState({ status: 'error', user: null, expiresAt: null, reason: 'The session could not be renewed.' });
      }
    } else if (result.kind === 'unauthorized') end(result.reason, { broadcast: false });
    else if (state.status !== 'signedIn') {
      setState({ status: 'error', user: null, expiresAt: null, reason: result.reason });
    }
    return state;
  }

  /**
   * Make sure the session is fresh, refreshing at most once per browser at a time.
   *   after: a generation the caller saw; if a newer session has been adopted since, done.
   *   force: the gate has just said "expired", so only a session newer than the one we
   *          know counts as fresh.
   * Resolves to { ok: true } | { ok: false, ended: true, reason } | { ok: false, transient: true }.
   */
  function ensureFresh({ after, force = false } = {}) {
    if (after !== undefined && generation > after && state.status === 'signedIn') {
      return Promise.resolve({ ok: true });
    }
    if (inflight) return inflight;
    // However it is asked for (timer, tab shown, a wave of 401s), no new attempt within
    // minDelayMs of a failed one: an IdP outage must not turn into a storm of refreshes.
    if (lastFailure && Date.now() - lastFailure.at < o.minDelayMs) return Promise.resolve(lastFailure.result);
    const knownExpiresAt = state.expiresAt;
    const seenGeneration = generation;
    inflight = withLock(env, o.lockName, () => refreshUnderLock(knownExpiresAt, seenGeneration, force))
      .catch((error) => ({ ok: false, transient: true, error }))
      .then((result) => {
        if (result.transient) {
          failures += 1;
          lastFailure = { at: Date.now(), result };
          scheduleRetry();
        } else {
          lastFailure = null;
        }
        return result;
      })
      .finally(() => {
        inflight = null;
      });
    return inflight;
  }

  // Someone refreshed since we decided to (a newer, unexpired session), or, unless the gate
  // has just said "expired", the session is simply not near its end.
  const freshEnough = (expiresAt, knownExpiresAt, force) => {
    const left = remainingMs(expiresAt);
    if (knownExpiresAt != null && expiresAt > knownExpiresAt && left > 0) return true;
    return !force && left > leadMs;
  };

  async function refreshUnderLock(knownExpiresAt, seenGeneration, force) {
    // Another tab may have refreshed while we waited for the lock, and told us.
    if (generation > seenGeneration && state.status === 'signedIn' &&
        freshEnough(state.expiresAt, knownExpiresAt, force)) {
      return { ok: true };
    }
    // ...or refreshed without telling us (a full page load through the gate): ask.
    const who = classify(await request(o.whoamiUrl, { method: 'GET', headers: { Accept: 'application/json' } }));
    if (who.kind === 'session' && freshEnough(who.body.expiresAt, knownExpiresAt, force)) {
      adopt(who.body, { broadcast: true });
      return { ok: true };
    }
    if (who.kind === 'unauthorized' && ENDED_REASONS.has(who.reason)) {
      end(who.reason, { broadcast: true });
      return { ok: false, ended: true, reason: who.reason };
    }
    const answer = await request(o.refreshUrl, {
      method: 'POST',
      headers: { Accept: 'application/json', 'X-Gate-Request': '1' },
    });
    const result = classify(answer);
    if (result.kind === 'session') {
      adopt(result.body, { broadcast: true });
      return { ok: true };
    }
    if (result.kind === 'unauthorized') {
      const reason = ENDED_REASONS.has(result.reason) ? result.reason : REASONS.refused;
      end(reason, { broadcast: true });
      return { ok: false, ended: true, reason };
    }
    // 502/503/504 or the network: the IdP or the path to it failed. Keep what we have.
    const code = answer.body && typeof answer.body.error === 'string' ? answer.body.error : null;
    return { ok: false, transient: true, status: answer.status, error: code };
  }

  function onMessage(message) {
    if (!message || typeof message !== 'object') return;
    if (message.type === 'session' && Number.isFinite(message.expiresAt)) {
      if (state.status !== 'signedIn' || state.expiresAt == null || message.expiresAt > state.expiresAt) {
        adopt({ signedIn: true, ...message.user, expiresAt: message.expiresAt }, { broadcast: false });
      }
    } else if (message.type === 'ended' && ENDED_REASONS.has(message.reason)) {
      if (state.status === 'signedIn') end(message.reason, { broadcast: false });
    }
  }

  function onVisibility() {
    const doc = env.document;
    if (!doc || doc.visibilityState !== 'visible' || !started) return;
    if (state.status === 'signedIn' && remainingMs(state.expiresAt) <= leadMs) {
      ensureFresh();
    } else if (Date.now() - lastCheckAt >= o.recheckAfterMs && !inflight) {
      check();
    }
  }

  /**
   * fetch() for this origin's protected paths and API: sends X-Gate-Request: 1 and the
   * cookies; on 401 "session_expired" refreshes once and retries once; on "signed_out" or
   * "refresh_refused" marks the session ended. Other origins are fetched untouched.
   * Always resolves to the last Response (a 401 stays a 401 for the caller to show).
   */
  async function gateFetch(input, init = {}) {
    const isRequest = typeof input === 'object' && input !== null && typeof input.clone === 'function';
    const href = isRequest ? input.url : String(input);
    const base = (env.location && env.location.href) || 'http://localhost/';
    let target;
    try {
      target = new URL(href, base);
    } catch {
      return fetchImpl(input, init);
    }
    if (origin() && target.origin !== origin()) return fetchImpl(input, init);

    const headers = new Headers(init.headers || (isRequest ? input.headers : undefined));
    headers.set('X-Gate-Request', '1');
    const args = () => [
      isRequest ? input.clone() : input,
      { ...init, headers: new Headers(headers), credentials: init.credentials || 'same-origin' },
    ];
    const replayable = !(init.body && typeof init.body.getReader === 'function');
    const seen = generation;
    const response = await fetchImpl(...args());
    if (response.status !== 401) return response;
    const reason = response.headers.get('X-Gate-Reason');
    if (ENDED_REASONS.has(reason)) {
      if (state.status !== 'signedOut') end(reason, { broadcast: true });
      return response;
    }
    if (reason !== REASONS.expired || !replayable) return response;
    const fresh = await ensureFresh({ after: seen, force: true });
    if (!fresh.ok) return response;
    const second = await fetchImpl(...args());
    const secondReason = second.status === 401 ? second.headers.get('X-Gate-Reason') : null;
    if (ENDED_REASONS.has(secondReason) && state.status !== 'signedOut') end(secondReason, { broadcast: true });
    return second;
  }

  let retryCounter = 0;
  /**
   * Load a chunk with one refresh-and-retry. The retry imports a different URL when the
   * error names one: under the HTML spec as it stood, a failed module fetch stays in the
   * module map, so importing the same URL again fails at once without a request
   * (whatwg/html#6768). whatwg/html#10327 changed that; Chromium 156 (measured here)
   * fetches again, but browsers without the change (implementation bugs crbug 534781954,
   * WebKit 319492, Gecko 2055211) do not. A new query string works in both: same file,
   * new module-map key.
   */
  async function importWithRetry(factory, { importUrl = (url) => import(/* @vite-ignore */ url) } = {}) {
    const seen = generation;
    try {
      return await factory();
    } catch (error) {
      const fresh = await ensureFresh({ after: seen });
      if (fresh.ended) throw new SessionEndedError(fresh.reason, currentSignInUrl());
      if (!fresh.ok) {
        throw new ChunkLoadError('This part of the site could not be loaded.', { cause: error, transient: true });
      }
      const url = chunkUrlFromError(error, origin());
      try {
        return url ? await importUrl(withRetryQuery(url, ++retryCounter)) : await factory();
      } catch (second) {
        if (state.status === 'signedOut' && ENDED_REASONS.has(state.reason)) {
          throw new SessionEndedError(state.reason, currentSignInUrl());
        }
        throw new ChunkLoadError('This part of the site could not be loaded.', { cause: second });
      }
    }
  }

  function signInUrl(returnTo) {
    return `${o.signInPath}?return=${encodeURIComponent(safeReturnPath(returnTo))}`;
  }

  function currentSignInUrl() {
    const loc = env.location;
    return signInUrl(loc ? `${loc.pathname}${loc.search}` : '/');
  }

  function start() {
    if (started) return api;
    started = true;
    channel = openChannel(env, o.channelName, onMessage);
    if (env.document && typeof env.document.addEventListener === 'function') {
      env.document.addEventListener('visibilitychange', onVisibility);
    }
    check();
    return api;
  }

  function stop() {
    started = false;
    clearTimer();
    checkTicket += 1;
    if (channel) channel.close();
    channel = null;
    if (env.document && typeof env.document.removeEventListener === 'function') {
      env.document.removeEventListener('visibilitychange', onVisibility);
    }
  }

  const api = {
    start,
    stop,
    check,
    ensureFresh,
    fetch: gateFetch,
    importWithRetry,
    signInUrl,
    currentSignInUrl,
    getState: () => state,
    get generation() {
      return generation;
    },
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };
  return api;
}

// One session per page is the usual case: lazyWithRetry and the error boundary use this
// one unless handed another.
let defaultSession = null;
export function setDefaultGateSession(session) {
  defaultSession = session;
}
export function getDefaultGateSession() {
  return defaultSession;
}
