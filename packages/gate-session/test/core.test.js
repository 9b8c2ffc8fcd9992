import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ChunkLoadError,
  SessionEndedError,
  chunkUrlFromError,
  createGateSession,
  withRetryQuery,
} from '../src/core.js';
import { FakeGate, ORIGIN, PATHS, fakeBrowser, setVisibility } from './gateWorld.js';

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);

function tab(gate, browser, path = '/docs', extra = {}) {
  const env = browser.tabEnv(path);
  const session = createGateSession({ ...PATHS, fetch: gate.fetch, env, ...extra });
  return { env, session };
}

// Let fake time pass in small steps so awaited fetches (latency 50 ms) and timers interleave.
const pass = (ms) => vi.advanceTimersByTimeAsync(ms);

let sessions = [];
function started(t) {
  sessions.push(t.session);
  t.session.start();
  return t;
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(T0);
  sessions = [];
});

afterEach(() => {
  for (const s of sessions) s.stop();
  vi.useRealTimers();
});

describe('scheduling', () => {
  it('refreshes 60 s before expiresAt, not earlier, and then reschedules', async () => {
    const gate = new FakeGate({ ttl: 600 });
    const { session } = started(tab(gate, fakeBrowser()));
    await pass(100);
    expect(session.getState()).toMatchObject({ status: 'signedIn', expiresAt: gate.jar.exp });
    const firstExp = gate.jar.exp;

    await pass(539_000 - 100);
    expect(gate.posts()).toBe(0);
    await pass(2_000);
    expect(gate.posts()).toBe(1);
    expect(session.getState().expiresAt).toBe(firstExp + 540);
    // next one 540 s after that, not sooner
    await pass(530_000);
    expect(gate.posts()).toBe(1);
    await pass(12_000);
    expect(gate.posts()).toBe(2);
    expect(gate.reuseDetected).toBe(false);
  });

  it('a session shorter than twice the lead is refreshed at half its life', async () => {
    const gate = new FakeGate({ ttl: 100 });
    started(tab(gate, fakeBrowser()));
    await pass(49_000);
    expect(gate.posts()).toBe(0);
    await pass(2_000);
    expect(gate.posts()).toBe(1);
  });

  it('with a 20 s ID token refreshes every 10 s, never in a tight loop', async () => {
    const gate = new FakeGate({ ttl: 20 });
    started(tab(gate, fakeBrowser()));
    await pass(60_000);
    // every 10 s (half of 20 s, and the 10 s floor): about 6 in a minute, not hundreds
    expect(gate.posts()).toBeGreaterThanOrEqual(5);
    expect(gate.posts()).toBeLessThanOrEqual(6);
  });

  it('does not refresh again when who-am-I has just refreshed inline (session shorter than the floor)', async () => {
    const gate = new FakeGate({ ttl: 5, whoamiRefreshesInline: true });
    started(tab(gate, fakeBrowser()));
    await pass(60_000);
    expect(gate.posts()).toBe(0); // the pre-check's inline refresh was enough each time
    expect(gate.idpSpends).toBeLessThanOrEqual(6);
    expect(gate.reuseDetected).toBe(false);
  });

  it('never loops when the gate keeps answering an already-expired session', async () => {
    const gate = new FakeGate({ ttl: 600 });
    const realBody = gate.body.bind(gate);
    gate.body = () => ({ ...realBody(), expiresAt: gate.now() - 5 });
    started(tab(gate, fakeBrowser()));
    await pass(5 * 60_000);
    // one attempt per 10 s floor at most
    expect(gate.log.length).toBeLessThanOrEqual(2 * 31);
  });

  it('reads expiry on the gate’s clock (Date header), not a wrong local clock', async () => {
    // The browser's clock is an hour fast: by its own clock the session expired long ago.
    const gate = new FakeGate({ ttl: 600, clockOffsetMs: -3_600_000 });
    started(tab(gate, fakeBrowser()));
    await pass(100);
    await pass(500_000);
    expect(gate.posts()).toBe(0);
    await pass(45_000);
    expect(gate.posts()).toBe(1);
  });
});

describe('visibility', () => {
  it('a tab shown again after expiry refreshes at once', async () => {
    const gate = new FakeGate({ ttl: 600, whoamiRefreshesInline: false });
    const t = started(tab(gate, fakeBrowser()));
    await pass(100);
    setVisibility(t.env, 'hidden');
    // the laptop slept: time moved on, no timer ran
    vi.setSystemTime(Date.now() + 3_600_000);
    setVisibility(t.env, 'visible');
    await pass(200);
    expect(gate.posts()).toBe(1);
    expect(t.session.getState().expiresAt).toBe(gate.jar.exp);
    expect(t.session.getState().expiresAt * 1000).toBeGreaterThan(Date.now());
  });

  it('a tab shown again with time to spare makes no request', async () => {
    const gate = new FakeGate({ ttl: 3600 });
    const t = started(tab(gate, fakeBrowser()));
    await pass(100);
    const before = gate.log.length;
    setVisibility(t.env, 'hidden');
    await pass(60_000);
    setVisibility(t.env, 'visible');
    await pass(200);
    expect(gate.log.length).toBe(before);
  });

  it('a tab shown again after a long while asks who-am-I, and learns of a sign-out elsewhere', async () => {
    const gate = new FakeGate({ ttl: 3600 });
    const t = started(tab(gate, fakeBrowser()));
    await pass(100);
    setVisibility(t.env, 'hidden');
    await pass(10 * 60_000);
    gate.signOut(); // signed out in another tab: the cookies are gone
    setVisibility(t.env, 'visible');
    await pass(200);
    expect(t.session.getState()).toMatchObject({ status: 'signedOut', reason: 'signed_out' });
    expect(gate.posts()).toBe(0);
  });
});

describe('gateFetch', () => {
  it('sends X-Gate-Request and the cookies to its own origin, nothing extra elsewhere', async () => {
    const gate = new FakeGate();
    const fetchSpy = vi.fn(gate.fetch);
    const env = fakeBrowser().tabEnv();
    const session = createGateSession({ ...PATHS, fetch: fetchSpy, env });
    const p = session.fetch('/api/reports', { headers: { Accept: 'application/json' } });
    await pass(100);
    const res = await p;
    expect(await res.json()).toMatchObject({ ok: true, gateRequest: '1' });
    const [, init] = fetchSpy.mock.calls[0];
    expect(init.credentials).toBe('same-origin');
    expect(new Headers(init.headers).get('Accept')).toBe('application/json');

    const other = vi.fn(async () => new Response('{}'));
    const s2 = createGateSession({ ...PATHS, fetch: other, env });
    await s2.fetch('https://elsewhere.example/x', { headers: { A: 'b' } });
    expect(other.mock.calls[0][1]).toEqual({ headers: { A: 'b' } });
  });

  it('401 session_expired: one refresh, one retry, success', async () => {
    const gate = new FakeGate({ ttl: 600, whoamiRefreshesInline: false });
    const t = started(tab(gate, fakeBrowser()));
    await pass(100);
    gate.expireNow();
    const p = t.session.fetch('/api/reports');
    await pass(1_000);
    const res = await p;
    expect(res.status).toBe(200);
    expect(gate.posts()).toBe(1);
    expect(gate.log.filter((r) => r.path === '/api/reports')).toHaveLength(2);
    expect(gate.log.filter((r) => r.path === '/api/reports').every((r) => r.headers.get('X-Gate-Request') === '1')).toBe(true);
  });

  it('retries only once: a second 401 comes back to the caller', async () => {
    const gate = new FakeGate({ ttl: 600, whoamiRefreshesInline: false });
    const t = started(tab(gate, fakeBrowser()));
    await pass(100);
    gate.ttl = -10; // every refresh yields an already-expired session
    gate.expireNow();
    const p = t.session.fetch('/api/reports');
    await pass(2_000);
    expect((await p).status).toBe(401);
    expect(gate.log.filter((r) => r.path === '/api/reports')).toHaveLength(2);
    expect(gate.posts()).toBe(1);
  });

  it('parallel calls after expiry cause one refresh and all succeed', async () => {
    const gate = new FakeGate({ ttl: 600, whoamiRefreshesInline: false });
    const t = started(tab(gate, fakeBrowser()));
    await pass(100);
    gate.expireNow();
    const calls = [];
    for (let i = 0; i < 5; i += 1) {
      calls.push(t.session.fetch(`/api/item/${i}`));
      // staggered: the last ones are sent before the refresh finishes (~150 ms) and get
      // their 401 after it: they must retry without refreshing again
      await pass(30);
    }
    await pass(2_000);
    const statuses = await Promise.all(calls.map(async (c) => (await c).status));
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    expect(gate.idpSpends).toBe(1);
    expect(gate.reuseDetected).toBe(false);
  });

  it('signed_out: reports the session ended and does not try to refresh', async () => {
    const gate = new FakeGate();
    const t = started(tab(gate, fakeBrowser()));
    await pass(100);
    const seen = [];
    t.session.subscribe((s) => seen.push(s.status));
    gate.signOut();
    const p = t.session.fetch('/api/reports');
    await pass(200);
    const res = await p;
    expect(res.status).toBe(401);
    expect(res.headers.get('X-Gate-Reason')).toBe('signed_out');
    expect(t.session.getState()).toMatchObject({ status: 'signedOut', reason: 'signed_out' });
    expect(seen).toContain('signedOut');
    expect(gate.posts()).toBe(0);
    expect(gate.log.filter((r) => r.path === '/api/reports')).toHaveLength(1);
  });

  it('a refused refresh ends the session and the original 401 is returned', async () => {
    const gate = new FakeGate({ whoamiRefreshesInline: false });
    const t = started(tab(gate, fakeBrowser()));
    await pass(100);
    gate.revoked = true;
    gate.expireNow();
    const p = t.session.fetch('/api/reports');
    await pass(500);
    expect((await p).status).toBe(401);
    expect(t.session.getState()).toMatchObject({ status: 'signedOut', reason: 'refresh_refused' });
  });
});

describe('a failing IdP (502 from refresh)', () => {
  it('keeps the state, retries later with back-off, and recovers', async () => {
    const gate = new FakeGate({ ttl: 600 });
    const t = started(tab(gate, fakeBrowser()));
    await pass(100);
    gate.refreshFault = 502;
    await pass(541_000);
    expect(gate.posts()).toBe(1);
    expect(t.session.getState().status).toBe('signedIn'); // kept
    await pass(5_000);
    expect(gate.posts()).toBe(1); // not at once
    await pass(6_000);
    expect(gate.posts()).toBe(2); // 10 s later
    gate.refreshFault = null;
    await pass(31_000);
    expect(gate.posts()).toBe(3);
    expect(t.session.getState().expiresAt).toBe(gate.jar.exp);
    expect(t.session.getState().expiresAt * 1000 - Date.now()).toBeGreaterThan(500_000);
  });
});

describe('an IdP outage does not become a storm', () => {
  it('401s and tab switches during the back-off make no new attempt', async () => {
    const gate = new FakeGate({ ttl: 600, whoamiRefreshesInline: false });
    const t = started(tab(gate, fakeBrowser()));
    await pass(100);
    gate.refreshFault = 503;
    gate.expireNow();
    const first = t.session.fetch('/api/a');
    await pass(500);
    expect((await first).status).toBe(401);
    expect(gate.posts()).toBe(1);
    const more = [];
    for (let i = 0; i < 5; i += 1) {
      more.push(t.session.fetch(`/api/b${i}`));
      setVisibility(t.env, 'hidden');
      setVisibility(t.env, 'visible');
      await pass(1_000);
    }
    expect((await Promise.all(more)).map((r) => r.status)).toEqual([401, 401, 401, 401, 401]);
    expect(gate.posts()).toBe(1); // still only the one attempt
    expect(t.session.getState().status).toBe('signedIn'); // kept: the session may yet be fine
    gate.refreshFault = null;
    await pass(6_000); // the scheduled retry, 10 s after the failure
    expect(gate.posts()).toBe(2);
    const after = t.session.fetch('/api/c');
    await pass(500);
    expect((await after).status).toBe(200);
  });
});

describe('one refresh per browser', () => {
  async function wakeThreeTabs(gate, browser) {
    const tabs = [0, 1, 2].map(() => started(tab(gate, browser)));
    await pass(200);
    for (const t of tabs) setVisibility(t.env, 'hidden');
    vi.setSystemTime(Date.now() + 2 * 3_600_000); // asleep for two hours
    for (const t of tabs) setVisibility(t.env, 'visible');
    await pass(2_000);
    return tabs;
  }

  it('three tabs waking after expiry: exactly one POST /refresh, all keep the session', async () => {
    const gate = new FakeGate({ ttl: 600, whoamiRefreshesInline: false });
    const tabs = await wakeThreeTabs(gate, fakeBrowser());
    expect(gate.posts()).toBe(1);
    expect(gate.idpSpends).toBe(1);
    expect(gate.reuseDetected).toBe(false);
    for (const t of tabs) expect(t.session.getState()).toMatchObject({ status: 'signedIn', expiresAt: gate.jar.exp });
  });

  it('same when who-am-I refreshes inline: one spend of the refresh token in all', async () => {
    const gate = new FakeGate({ ttl: 600, whoamiRefreshesInline: true });
    const tabs = await wakeThreeTabs(gate, fakeBrowser());
    expect(gate.idpSpends).toBe(1);
    expect(gate.reuseDetected).toBe(false);
    for (const t of tabs) expect(t.session.getState().status).toBe('signedIn');
  });

  it('a refresh in one tab is shared: the other tab reschedules and asks nothing', async () => {
    const gate = new FakeGate({ ttl: 600 });
    const browser = fakeBrowser();
    const a = started(tab(gate, browser));
    await pass(30_000); // B opens 30 s later, so its timer would fire 30 s after A's
    const b = started(tab(gate, browser));
    await pass(100);
    const whoamiBefore = gate.log.filter((r) => r.path === PATHS.whoamiUrl).length;
    await pass(540_000); // A's scheduled refresh, then well past B's old schedule
    expect(gate.posts()).toBe(1);
    expect(gate.log.filter((r) => r.path === PATHS.whoamiUrl).length).toBe(whoamiBefore + 1); // A's pre-check only
    expect(b.session.getState().expiresAt).toBe(gate.jar.exp);
    expect(a.session.getState().expiresAt).toBe(gate.jar.exp);
  });

  it('with no Web Locks, a localStorage lease still gives one spend', async () => {
    const gate = new FakeGate({ ttl: 600, whoamiRefreshesInline: false });
    const tabs = await wakeThreeTabs(gate, fakeBrowser({ locks: false, storage: true }));
    expect(gate.idpSpends).toBe(1);
    expect(gate.reuseDetected).toBe(false);
    for (const t of tabs) expect(t.session.getState().status).toBe('signedIn');
  });

  it('with neither Web Locks nor BroadcastChannel, localStorage carries the lease and the news', async () => {
    const gate = new FakeGate({ ttl: 600, whoamiRefreshesInline: false });
    const browser = fakeBrowser({ locks: false, channels: false, storage: true });
    const tabs = await wakeThreeTabs(gate, browser);
    expect(gate.idpSpends).toBe(1);
    expect(gate.reuseDetected).toBe(false);
    for (const t of tabs) expect(t.session.getState()).toMatchObject({ status: 'signedIn', expiresAt: gate.jar.exp });
    // and a later refresh in one tab reaches the others through 'storage' events
    const whoamiBefore = gate.log.filter((r) => r.path === PATHS.whoamiUrl).length;
    const before = tabs[1].session.getState().expiresAt;
    vi.setSystemTime(Date.now() + 5_000); // so the new expiresAt differs
    const done = tabs[0].session.ensureFresh({ force: true });
    await pass(1_000);
    expect(await done).toEqual({ ok: true });
    const p = tabs[0].session.getState().expiresAt;
    expect(p).toBeGreaterThan(before);
    expect(tabs[1].session.getState().expiresAt).toBe(p);
    expect(tabs[2].session.getState().expiresAt).toBe(p);
    expect(gate.log.filter((r) => r.path === PATHS.whoamiUrl).length).toBe(whoamiBefore + 1);
  });

  it('control: without any lock the tabs collide and the rotating IdP ends the session', async () => {
    const gate = new FakeGate({ ttl: 600, whoamiRefreshesInline: false });
    const tabs = await wakeThreeTabs(gate, fakeBrowser({ locks: false, channels: false }));
    expect(gate.idpSpends).toBeGreaterThan(1);
    expect(gate.reuseDetected).toBe(true);
    expect(tabs.some((t) => t.session.getState().status === 'signedOut')).toBe(true);
  });
});

describe('importWithRetry', () => {
  const chromiumError = (path) =>
    new TypeError(`Failed to fetch dynamically imported module: ${ORIGIN}${path}`);

  it('refreshes once and imports the chunk again under a new URL', async () => {
    const gate = new FakeGate({ whoamiRefreshesInline: false });
    const t = started(tab(gate, fakeBrowser()));
    await pass(100);
    gate.expireNow();
    const factory = vi.fn(async () => {
      throw chromiumError('/assets/Reports-abc.js');
    });
    const importUrl = vi.fn(async (url) => ({ default: `module from ${url}` }));
    const p = t.session.importWithRetry(factory, { importUrl });
    await pass(500);
    expect(await p).toEqual({ default: `module from ${ORIGIN}/assets/Reports-abc.js?gate-retry=1` });
    expect(factory).toHaveBeenCalledTimes(1);
    expect(gate.posts()).toBe(1);
  });

  it('calls the factory again when the error names no URL (Safari)', async () => {
    const gate = new FakeGate({ whoamiRefreshesInline: false });
    const t = started(tab(gate, fakeBrowser()));
    await pass(100);
    gate.expireNow();
    let n = 0;
    const factory = vi.fn(async () => {
      n += 1;
      if (n === 1) throw new TypeError('Importing a module script failed.');
      return { default: 'ok' };
    });
    const p = t.session.importWithRetry(factory, { importUrl: vi.fn() });
    await pass(500);
    expect(await p).toEqual({ default: 'ok' });
    expect(factory).toHaveBeenCalledTimes(2);
  });

  it('throws SessionEndedError, with a sign-in link back to this deep link, when the session is over', async () => {
    const gate = new FakeGate();
    const t = started(tab(gate, fakeBrowser(), '/reports?month=10'));
    await pass(100);
    gate.signOut();
    const p = t.session.importWithRetry(async () => {
      throw chromiumError('/assets/Reports-abc.js');
    });
    const settled = p.catch((e) => e);
    await pass(500);
    const error = await settled;
    expect(error).toBeInstanceOf(SessionEndedError);
    expect(error.reason).toBe('signed_out');
    expect(error.signInUrl).toBe('/_gate/sign-in?return=%2Freports%3Fmonth%3D10');
    expect(gate.posts()).toBe(0);
  });

  it('throws ChunkLoadError when the session is fine but the chunk still fails', async () => {
    const gate = new FakeGate();
    const t = started(tab(gate, fakeBrowser()));
    await pass(100);
    const importUrl = vi.fn(async () => {
      throw chromiumError('/assets/Reports-abc.js?gate-retry=1');
    });
    const settled = t.session
      .importWithRetry(async () => {
        throw chromiumError('/assets/Reports-abc.js');
      }, { importUrl })
      .catch((e) => e);
    await pass(500);
    const error = await settled;
    expect(error).toBeInstanceOf(ChunkLoadError);
    expect(error.transient).toBe(false);
    expect(importUrl).toHaveBeenCalledTimes(1);
    expect(gate.idpSpends).toBe(0); // who-am-I said the session was fine: nothing spent
  });
});

describe('helpers', () => {
  it('finds the chunk URL in Chromium and Firefox messages, only on this origin', () => {
    const url = `${ORIGIN}/assets/A-1.js`;
    expect(chunkUrlFromError(new TypeError(`Failed to fetch dynamically imported module: ${url}`), ORIGIN)).toBe(url);
    expect(chunkUrlFromError(new TypeError(`error loading dynamically imported module: ${url}`), ORIGIN)).toBe(url);
    expect(chunkUrlFromError(new TypeError('Importing a module script failed.'), ORIGIN)).toBeNull();
    expect(chunkUrlFromError(new TypeError('x https://evil.example/a.js'), ORIGIN)).toBeNull();
  });

  it('adds a retry parameter, keeping an existing query', () => {
    expect(withRetryQuery(`${ORIGIN}/a.js`, 2)).toBe(`${ORIGIN}/a.js?gate-retry=2`);
    expect(withRetryQuery(`${ORIGIN}/a.js?v=1`, 1)).toBe(`${ORIGIN}/a.js?v=1&gate-retry=1`);
  });

  it('builds sign-in links only to same-origin paths', () => {
    const s = createGateSession({ ...PATHS, env: fakeBrowser().tabEnv() });
    expect(s.signInUrl('/reports?x=1')).toBe('/_gate/sign-in?return=%2Freports%3Fx%3D1');
    expect(s.signInUrl('//evil.example/')).toBe('/_gate/sign-in?return=%2F');
  });
});
