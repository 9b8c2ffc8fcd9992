#!/usr/bin/env node
// A generic OpenID Connect provider on 127.0.0.1 for running the gate locally: oidc-provider
// (npm, a certified OpenID provider; pinned in package.json) with
//   - discovery, authorization code + PKCE (S256, required), nonce, refresh tokens,
//     revocation and RP-initiated logout (/session/end);
//   - its own RS256 signing key: generated at start, or --jwks FILE (a private JWKS);
//   - a login form that checks the demo users' passwords (--users FILE), and consent granted
//     for the one first-party client, so nobody clicks through a consent page;
//   - a `groups` claim (scope "groups"), and claims in the ID token itself;
//   - short lifetimes for tests: --id-token-ttl, --access-token-ttl, --refresh-token-ttl.
//
//   node local/idp/oidc.mjs --port 9230 --client-id gate-local \
//        --redirect-uri http://localhost:8080/_gate/callback \
//        --post-logout-redirect-uri http://localhost:8080/_gate/signed-out --users users.json
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";

import Provider from "oidc-provider";

function parseArgs(argv) {
  const out = {
    port: 9230, host: "127.0.0.1", clientId: "gate-local", clientSecret: "", redirectUris: [],
    postLogoutRedirectUris: [], idTokenTtl: 3600, accessTokenTtl: 3600,
    refreshTokenTtl: 14 * 24 * 3600, users: null, jwks: null, rotateRefreshTokens: true,
  };
  const numbers = { "--port": "port", "--id-token-ttl": "idTokenTtl", "--access-token-ttl": "accessTokenTtl",
    "--refresh-token-ttl": "refreshTokenTtl" };
  for (let i = 2; i < argv.length; i += 1) {
    const name = argv[i];
    if (name === "--no-refresh-token-rotation") { out.rotateRefreshTokens = false; continue; }
    const value = argv[i + 1];
    i += 1;
    if (value === undefined) { console.error(`${name} needs a value`); process.exit(2); }
    if (numbers[name]) out[numbers[name]] = Number.parseInt(value, 10);
    else if (name === "--host") out.host = value;
    else if (name === "--client-id") out.clientId = value;
    else if (name === "--client-secret") out.clientSecret = value;
    else if (name === "--redirect-uri") out.redirectUris.push(value);
    else if (name === "--post-logout-redirect-uri") out.postLogoutRedirectUris.push(value);
    else if (name === "--users") out.users = value;
    else if (name === "--jwks") out.jwks = value;
    else { console.error(`unknown argument ${name}`); process.exit(2); }
  }
  if (!out.redirectUris.length) { console.error("give at least one --redirect-uri"); process.exit(2); }
  return out;
}

const args = parseArgs(process.argv);
const issuer = `http://${args.host}:${args.port}`;

const DEFAULT_USERS = [
  { sub: "user-admin", username: "admin@example.com", password: "Admin-Passw0rd!", name: "Ada Admin", groups: ["Admin"] },
  { sub: "user-viewer", username: "viewer@example.com", password: "Viewer-Passw0rd!", name: "Vic Viewer", groups: ["Viewer"] },
];
const users = args.users ? JSON.parse(fs.readFileSync(args.users, "utf8")) : DEFAULT_USERS;
const bySub = new Map(users.map((u) => [u.sub, u]));
const byUsername = new Map(users.map((u) => [u.username.toLowerCase(), u]));

function signingKeys() {
  if (args.jwks) {
    const jwks = JSON.parse(fs.readFileSync(args.jwks, "utf8"));
    if (!jwks.keys?.length || !jwks.keys.every((k) => k.d)) {
      console.error("--jwks must be a private JWKS (keys with \"d\")");
      process.exit(2);
    }
    return jwks;
  }
  const { privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = privateKey.export({ format: "jwk" });
  return { keys: [{ ...jwk, kid: `local-${crypto.randomBytes(6).toString("hex")}`, alg: "RS256", use: "sig" }] };
}

const html = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title, body) {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${html(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;background:#f3f4f6;margin:0;padding:48px 16px}
main{max-width:340px;margin:0 auto;background:#fff;padding:24px 28px;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.2)}
h1{font-size:1.2em;margin-top:0}label{display:block;margin:12px 0 4px}input{width:100%;padding:8px;box-sizing:border-box}
button{margin-top:16px;width:100%;padding:10px;background:#1f6feb;color:#fff;border:0;border-radius:4px;font-size:1em;cursor:pointer}
.secondary{background:#6b7280}.error{color:#b91c1c}.note{color:#6b7280;font-size:.85em}</style></head>
<body><main>${body}</main></body></html>`;
}

function loginPage(uid, clientId, error) {
  return page("Sign in", `<h1>Sign in to continue</h1>
<p class="note">Local OpenID provider (oidc-provider) for client <code>${html(clientId)}</code></p>
${error ? `<p class="error" role="alert">${html(error)}</p>` : ""}
<form method="post" action="/interaction/${html(uid)}/login" autocomplete="off">
<label for="username">Username</label><input id="username" name="username" type="text" autofocus required>
<label for="password">Password</label><input id="password" name="password" type="password" required>
<button type="submit">Sign in</button></form>
<form method="get" action="/interaction/${html(uid)}/abort"><button class="secondary" type="submit">Cancel</button></form>`);
}

const configuration = {
  clients: [{
    client_id: args.clientId,
    ...(args.clientSecret
      ? { client_secret: args.clientSecret, token_endpoint_auth_method: "client_secret_basic" }
      : { token_endpoint_auth_method: "none" }),
    redirect_uris: args.redirectUris,
    post_logout_redirect_uris: args.postLogoutRedirectUris,
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
  }],
  jwks: signingKeys(),
  cookies: { keys: [crypto.randomBytes(32).toString("base64url")] },
  claims: {
    openid: ["sub"],
    email: ["email", "email_verified"],
    profile: ["name", "preferred_username"],
    groups: ["groups"],
  },
  scopes: ["openid", "offline_access", "email", "profile", "groups"],
  conformIdTokenClaims: false, // claims in the ID token, where the gate reads them
  features: {
    devInteractions: { enabled: false },
    revocation: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      logoutSource: async (ctx, form) => {
        ctx.body = page("Sign out", `<h1>Sign out of the local provider?</h1>${form}
<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout" id="logout-yes">Yes, sign me out</button>
<button class="secondary" type="submit" form="op.logoutForm">No, stay signed in</button>`);
      },
      postLogoutSuccessSource: async (ctx) => {
        ctx.body = page("Signed out", "<h1>You are signed out of the local provider.</h1>");
      },
    },
  },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  pkce: { required: () => true },
  findAccount: async (_ctx, sub) => {
    const user = bySub.get(sub);
    if (!user) return undefined;
    return {
      accountId: sub,
      claims: async () => ({
        sub,
        email: user.username,
        email_verified: true,
        name: user.name,
        preferred_username: user.username,
        groups: user.groups,
      }),
    };
  },
  // The one client is first-party: its requested scopes and claims are granted without a
  // consent page (what a company IdP configured for its own app does).
  loadExistingGrant: async (ctx) => {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    const grant = grantId
      ? await ctx.oidc.provider.Grant.find(grantId)
      : new ctx.oidc.provider.Grant({ accountId: ctx.oidc.session.accountId, clientId: ctx.oidc.client.clientId });
    if (!grant) return undefined;
    grant.addOIDCScope(ctx.oidc.requestParamScopes ? [...ctx.oidc.requestParamScopes].join(" ") : "openid");
    const claims = ctx.oidc.requestParamClaims;
    if (claims?.size) grant.addOIDCClaims([...claims]);
    await grant.save();
    return grant;
  },
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed("refresh_token"),
  rotateRefreshToken: () => args.rotateRefreshTokens,
  ttl: {
    AccessToken: args.accessTokenTtl,
    AuthorizationCode: 60,
    IdToken: args.idTokenTtl,
    RefreshToken: args.refreshTokenTtl,
    Interaction: 600,
    Session: 14 * 24 * 3600,
    Grant: 14 * 24 * 3600,
  },
  renderError: async (ctx, out) => {
    ctx.type = "html";
    ctx.body = page("Error", `<h1>Sign-in error</h1><pre>${html(JSON.stringify(out, null, 2))}</pre>`);
  },
};

const provider = new Provider(issuer, configuration);
const oidc = provider.callback();

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 16 * 1024) throw new Error("form too large");
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

function send(res, status, body, headers = {}) {
  res.writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", ...headers });
  res.end(body);
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return send(res, 400, page("Error", "<h1>Interaction mismatch</h1>"));
  const clientId = details.params.client_id;
  if (action === "abort") {
    return provider.interactionFinished(req, res, {
      error: "access_denied", error_description: "End-User aborted interaction",
    }, { mergeWithLastSubmission: false });
  }
  if (details.prompt.name === "consent") {
    // Only reached when the grant above did not cover a request: grant it and go on.
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId });
    const missing = details.prompt.details;
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(" "));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    const grantId = await grant.save();
    return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }
  if (action === "login" && req.method === "POST") {
    const form = await readForm(req);
    const user = byUsername.get(String(form.get("username") || "").toLowerCase());
    if (!user || user.password !== form.get("password")) {
      return send(res, 200, loginPage(uid, clientId, "Incorrect username or password."));
    }
    console.log(JSON.stringify({ event: "login", sub: user.sub, client_id: clientId }));
    return provider.interactionFinished(req, res, { login: { accountId: user.sub } },
      { mergeWithLastSubmission: false });
  }
  return send(res, 200, loginPage(uid, clientId, null));
}

const INTERACTION = /^\/interaction\/([A-Za-z0-9_-]+)(?:\/(login|abort))?$/;

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, issuer);
  const match = INTERACTION.exec(url.pathname);
  if (!match) return oidc(req, res);
  try {
    await interaction(req, res, match[1], match[2]);
  } catch (err) {
    console.error(JSON.stringify({ event: "interaction_error", error: String(err?.message ?? err) }));
    if (!res.headersSent) send(res, 400, page("Error", `<h1>Sign-in error</h1><p>${html(err?.message ?? err)}</p>`));
  }
});

provider.on("server_error", (_ctx, err) => console.error(JSON.stringify({ event: "server_error", error: String(err) })));
provider.on("grant.error", (_ctx, err) => console.error(JSON.stringify({ event: "grant_error", error: err.message, detail: err.error_description })));

server.listen(args.port, args.host, () => {
  // The launcher waits for this line.
  console.log(JSON.stringify({ ready: true, provider: "oidc-provider", url: issuer }));
});
const stop = () => server.close(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
