#!/usr/bin/env node
// A generic OpenID Connect provider on 127.0.0.1 for running the gate locally: oidc-provider
// (npm, a certified OpenID provider; pinned in package.json) with
//   - discovery, authorization code + PKCE (S256, required), nonce, refresh tokens,
//     revocation and RP-initiated logout (/session/end);
//   - its own RS256 signing key: generated at start, or --jwks FILE (a private JWKS);
//   - a login form that checks the demo users' passwords (--users FILE), and consent granted
//     for the one first-party client, so nobody clicks through a consent page;
//   - a `groups` claim (scope "groups"), and claims in the ID token itself;
//   - short lifetimes for tests: --id-token-ttl, --access-token-ttl, --refresh-token-ttl;
//   - --profile auth0|okta|entra|google|keycloak|oidc (default oidc: the behaviour above, unchanged):
//     behave like that provider family, per its public documentation (see PROFILES below): issuer
//     spelling, endpoint paths, where groups/roles/emails are and what they look like, logout
//     style, when a refresh token is issued, and JWT access tokens (typ at+jwt, aud = client id).
//     --entra-overage sources|hasgroups: Entra's group overage marker instead of `groups`.
//     --auth0-oidc-logout: list Auth0's OIDC end_session_endpoint (/oidc/logout) in discovery.
//   Every authorization request's parameters are logged ({"event":"authorize","params":{...}}),
//   so a test can assert what the gate sent (e.g. Auth0's `audience`).
//
//   OIDC_CLIENT_SECRET=... node local/idp/oidc.mjs --port 9230 --client-id gate-local \
//        --redirect-uri http://localhost:8080/_gate/callback \
//        --post-logout-redirect-uri http://localhost:8080/_gate/signed-out --users users.json
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";

import Provider, { errors } from "oidc-provider";

function parseArgs(argv) {
  const out = {
    port: 9230, host: "127.0.0.1", clientId: "gate-local", clientSecret: process.env.OIDC_CLIENT_SECRET || "", redirectUris: [],
    postLogoutRedirectUris: [], idTokenTtl: 3600, accessTokenTtl: 3600,
    refreshTokenTtl: 14 * 24 * 3600, users: null, jwks: null, rotateRefreshTokens: true,
    profile: "oidc", entraOverage: null, auth0OidcLogout: false,
  };
  const numbers = { "--port": "port", "--id-token-ttl": "idTokenTtl", "--access-token-ttl": "accessTokenTtl",
    "--refresh-token-ttl": "refreshTokenTtl" };
  for (let i = 2; i < argv.length; i += 1) {
    const name = argv[i];
    if (name === "--no-refresh-token-rotation") { out.rotateRefreshTokens = false; continue; }
    if (name === "--auth0-oidc-logout") { out.auth0OidcLogout = true; continue; }
    // issue 13: the default profile issues RFC 9068 JWT access tokens (aud = client id, groups)
    // for the demo API behind the gate, as the okta/entra/keycloak profiles always do.
    if (name === "--jwt-access-tokens") { out.jwtAccessTokens = true; continue; }
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
    else if (name === "--profile") out.profile = value;
    else if (name === "--entra-overage") out.entraOverage = value;
    else { console.error(`unknown argument ${name}`); process.exit(2); }
  }
  if (!out.redirectUris.length) { console.error("give at least one --redirect-uri"); process.exit(2); }
  if (!["oidc", "auth0", "okta", "entra", "google", "keycloak"].includes(out.profile)) {
    console.error(`--profile must be one of oidc, auth0, okta, entra, google, keycloak (not ${out.profile})`);
    process.exit(2);
  }
  if (out.entraOverage && !["sources", "hasgroups"].includes(out.entraOverage)) {
    console.error("--entra-overage must be sources or hasgroups"); process.exit(2);
  }
  return out;
}

const args = parseArgs(process.argv);
const origin = `http://${args.host}:${args.port}`;

// Entra-style group object ids for readable group names (same formula in local/profiles.py and
// tests/support/provider_tokens.py): the first 32 hex digits of sha256("gate-local-group:" + name).
function groupGuid(name) {
  const h = crypto.createHash("sha256").update(`gate-local-group:${name}`).digest("hex").slice(0, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
const ENTRA_TENANT = "7f3c2a10-5b6e-4d8f-9a01-c2b3d4e5f607";
const KEYCLOAK_REALM = "gate";
const AUTH0_GROUPS_CLAIM = "https://example.com/groups";
const LOCAL_API = "urn:gate-local:api"; // the resource indicator behind "JWT access token, aud = client id"

// What each provider family does, on 127.0.0.1 (host:port kept, path and trailing slash reproduced,
// since the gate compares issuers exactly). `refresh`: when a refresh token is issued; `jwtAccess`:
// "always" (JWT access token with aud = the client id), "audience" (only when an API audience is
// asked for, as Auth0) or false (opaque, oidc-provider's default).
const PROFILES = {
  oidc: { issuer: origin, routes: {}, endSession: true, refresh: "always", jwtAccess: false },
  // Auth0: issuer "https://<tenant>.auth0.com/" WITH the trailing slash
  //   (https://auth0.com/docs/secure/tokens/access-tokens/access-token-profiles: "iss": "https://my-domain.auth0.com/");
  // endpoints /authorize, /oauth/token, /.well-known/jwks.json, /userinfo, /oauth/revoke;
  // logout GET /v2/logout?client_id&returnTo (https://auth0.com/docs/api/authentication/logout/auth-0-logout),
  // OIDC /oidc/logout listed in discovery only when that tenant setting is on
  //   (https://auth0.com/docs/authenticate/login/logout/log-users-out-of-auth0);
  // refresh token only with the offline_access scope; a JWT access token only when `audience`
  // names an API (https://auth0.com/docs/secure/tokens/access-tokens/get-access-tokens), RFC 9068
  // profile (typ at+jwt); groups only as a namespaced custom claim set by an Action
  //   (https://auth0.com/docs/secure/tokens/json-web-tokens/create-custom-claims).
  auth0: {
    issuer: `${origin}/`,
    routes: { authorization: "/authorize", token: "/oauth/token", jwks: "/.well-known/jwks.json",
      userinfo: "/userinfo", revocation: "/oauth/revoke", end_session: "/oidc/logout" },
    endSession: args.auth0OidcLogout, refresh: "offline_access", jwtAccess: "audience",
  },
  // Okta custom authorization server "default": issuer https://<org>.okta.com/oauth2/default,
  // endpoints /v1/authorize, /v1/token, /v1/keys, /v1/logout (end_session with id_token_hint),
  // `groups` claim from a groups claim definition, requested with the `groups` scope
  //   (https://developer.okta.com/docs/guides/customize-tokens-groups-claim/main/);
  // refresh token only with offline_access (https://developer.okta.com/docs/guides/refresh-tokens/main/);
  // access tokens are always JWTs.
  okta: {
    issuer: `${origin}/oauth2/default`,
    routes: { authorization: "/v1/authorize", token: "/v1/token", jwks: "/v1/keys", userinfo: "/v1/userinfo",
      revocation: "/v1/revoke", end_session: "/v1/logout", introspection: "/v1/introspect" },
    endSession: true, refresh: "offline_access", jwtAccess: "always",
  },
  // Microsoft Entra ID, v2.0 endpoint: issuer https://login.microsoftonline.com/<tenant>/v2.0;
  // `groups` as object-id GUIDs, over the limit an overage claim (_claim_names/_claim_sources) or
  // `hasgroups`; app roles in `roles`; tid, oid, ver "2.0"; no email_verified
  //   (https://learn.microsoft.com/entra/identity-platform/id-token-claims-reference,
  //    https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference);
  // refresh token only with offline_access; end_session_endpoint in discovery.
  entra: {
    issuer: `${origin}/${ENTRA_TENANT}/v2.0`,
    routes: { authorization: "/oauth2/v2.0/authorize", token: "/oauth2/v2.0/token", jwks: "/discovery/v2.0/keys",
      userinfo: "/oidc/userinfo", end_session: "/oauth2/v2.0/logout" },
    endSession: true, refresh: "offline_access", jwtAccess: "always",
  },
  // Google: issuer https://accounts.google.com (no path, no slash); no groups, only email,
  // email_verified and hd (Workspace domain), azp = client id
  //   (https://developers.google.com/identity/openid-connect/openid-connect#an-id-tokens-payload);
  // no end_session_endpoint in discovery (https://accounts.google.com/.well-known/openid-configuration);
  // a refresh token only with access_type=offline, and only at a consent (so a returning user gets
  // one only with prompt=consent: the double asks for both every time, the case a gate must plan
  // for) (https://developers.google.com/identity/protocols/oauth2/web-server#offline); opaque
  // access tokens; refresh tokens not rotated.
  google: {
    issuer: origin,
    routes: { authorization: "/o/oauth2/v2/auth", token: "/token", jwks: "/oauth2/v3/certs",
      userinfo: "/v1/userinfo", revocation: "/revoke" },
    endSession: false, refresh: "google", jwtAccess: false,
  },
  // Keycloak: issuer <server>/realms/<realm>, endpoints under /protocol/openid-connect/;
  // realm roles in realm_access.roles, client roles in resource_access.<client>.roles (put in the
  // ID token by the "roles" client scope's mappers with "Add to ID token" on), payload typ "ID" /
  // "Bearer", azp (https://www.keycloak.org/docs/latest/server_admin/#_oidc_token_role_mappings,
  // https://phasetwo.io/tutorials/getting-started/your-first-token/); a refresh token on every code
  // exchange; JWT access tokens.
  keycloak: {
    issuer: `${origin}/realms/${KEYCLOAK_REALM}`,
    routes: { authorization: "/protocol/openid-connect/auth", token: "/protocol/openid-connect/token",
      jwks: "/protocol/openid-connect/certs", userinfo: "/protocol/openid-connect/userinfo",
      revocation: "/protocol/openid-connect/revoke", end_session: "/protocol/openid-connect/logout",
      introspection: "/protocol/openid-connect/token/introspect" },
    endSession: true, refresh: "always", jwtAccess: "always",
  },
};
const P = PROFILES[args.profile];
if (args.jwtAccessTokens && !P.jwtAccess) P.jwtAccess = "always";
const issuer = P.issuer;
const mountPath = new URL(issuer).pathname.replace(/\/$/, "");

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

// The claims each profile puts in its ID token, for a user of the users file
// ({sub, username, password, name, groups, email_verified?, roles?}).
function profileClaims(user) {
  const email = user.email ?? user.username;
  const base = {
    sub: user.sub, email, email_verified: user.email_verified ?? true, name: user.name,
    preferred_username: user.username,
  };
  const groups = user.groups ?? [];
  switch (args.profile) {
    case "auth0":
      return { ...base, nickname: email.split("@")[0], [AUTH0_GROUPS_CLAIM]: groups };
    case "okta":
      return { ...base, groups };
    case "entra": {
      const out = { ...base, tid: ENTRA_TENANT, oid: groupGuid(`user:${user.sub}`), ver: "2.0",
        roles: user.roles ?? groups.map((g) => `Gate.${g}`) };
      delete out.email_verified; // Entra sends no email_verified: its `email` is not verified
      if (args.entraOverage === "sources") {
        out._claim_names = { groups: "src1" };
        out._claim_sources = { src1: { endpoint: `https://graph.microsoft.com/v1.0/users/${out.oid}/getMemberObjects` } };
      } else if (args.entraOverage === "hasgroups") {
        out.hasgroups = true;
      } else {
        out.groups = groups.map(groupGuid);
      }
      return out;
    }
    case "google": {
      const domain = email.split("@")[1]?.toLowerCase();
      return { ...base, azp: args.clientId, ...(domain && domain !== "gmail.com" ? { hd: domain } : {}) };
    }
    case "keycloak":
      return {
        ...base, typ: "ID", azp: args.clientId,
        realm_access: { roles: [...groups, "offline_access", "uma_authorization", `default-roles-${KEYCLOAK_REALM}`] },
        resource_access: { [args.clientId]: { roles: user.roles ?? groups.map((g) => `Gate.${g}`) },
          account: { roles: ["manage-account", "view-profile"] } },
      };
    default:
      return { ...base, groups };
  }
}

// Which scope releases which claim (conformIdTokenClaims is off: they land in the ID token).
const PROFILE_OPENID_CLAIMS = {
  oidc: [], okta: [], google: ["hd", "azp"], auth0: ["nickname", AUTH0_GROUPS_CLAIM],
  entra: ["tid", "oid", "ver", "roles", "groups", "_claim_names", "_claim_sources", "hasgroups"],
  keycloak: ["typ", "azp", "realm_access", "resource_access"],
};

// Claims added to JWT access tokens, per profile (beyond RFC 9068's iss, sub, aud, client_id, scope, jti).
function accessTokenClaims(user) {
  if (!user) return undefined;
  const c = profileClaims(user);
  switch (args.profile) {
    case "okta": return { cid: args.clientId, uid: user.sub, ver: 1, groups: c.groups };
    case "entra": return { azp: args.clientId, oid: c.oid, tid: c.tid, ver: "2.0", roles: c.roles,
      ...(c.groups ? { groups: c.groups } : {}) };
    case "keycloak": return { typ: "Bearer", azp: args.clientId, realm_access: c.realm_access,
      resource_access: c.resource_access, email: c.email };
    case "auth0": return { [AUTH0_GROUPS_CLAIM]: c[AUTH0_GROUPS_CLAIM] };
    default: return args.jwtAccessTokens ? { groups: user.groups } : undefined;
  }
}

// Per grant: the authorization request's access_type and prompt (Google's refresh-token rule).
const grantRequests = new Map();

function issueRefreshTokenFor(client, code) {
  if (!client.grantTypeAllowed("refresh_token")) return false;
  if (P.refresh === "offline_access") return code.scopes.has("offline_access");
  if (P.refresh === "google") {
    const request = grantRequests.get(code.grantId) ?? {};
    return request.access_type === "offline" && String(request.prompt ?? "").split(" ").includes("consent");
  }
  return true;
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
    openid: ["sub", ...PROFILE_OPENID_CLAIMS[args.profile]],
    email: ["email", "email_verified"],
    profile: ["name", "preferred_username"],
    ...(["oidc", "okta"].includes(args.profile) ? { groups: ["groups"] } : {}),
  },
  routes: P.routes,
  // Accepted (and kept in ctx.oidc.params) rather than dropped: what providers' own authorize
  // endpoints take beyond OIDC's parameters.
  extraParams: ["access_type", "audience", "hd", "include_granted_scopes", "identity_provider", "domain_hint",
    "organization", "connection"],
  scopes: {
    google: ["openid", "email", "profile"], // Google's scopes_supported; offline access is access_type=offline
    auth0: ["openid", "offline_access", "email", "profile"],
    entra: ["openid", "offline_access", "email", "profile"],
    keycloak: ["openid", "offline_access", "email", "profile", "roles"],
  }[args.profile] ?? ["openid", "offline_access", "email", "profile", "groups"],
  conformIdTokenClaims: false, // claims in the ID token, where the gate reads them
  features: {
    devInteractions: { enabled: false },
    revocation: { enabled: true },
    ...(P.jwtAccess ? {
      // JWT access tokens (oidc-provider's RFC 9068 format: header typ "at+jwt"). With no resource
      // asked for, LOCAL_API stands for "the provider's own API" and the token's aud is the client
      // id, the shape that can be mistaken for an ID token. Auth0's `audience` is mapped to
      // `resource` by the HTTP layer below.
      resourceIndicators: {
        enabled: true,
        defaultResource: async (_ctx, _client, oneOf) => oneOf ?? (P.jwtAccess === "always" ? LOCAL_API : undefined),
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, indicator, client) => ({
          scope: "openid email profile groups offline_access",
          audience: indicator === LOCAL_API ? client.clientId : indicator,
          accessTokenFormat: "jwt",
          accessTokenTTL: args.accessTokenTtl,
          jwt: { sign: { alg: "RS256" } },
        }),
      },
    } : {}),
    rpInitiatedLogout: {
      enabled: P.endSession,
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
      claims: async () => (args.profile === "oidc" ? {
        sub,
        email: user.username,
        email_verified: true,
        name: user.name,
        preferred_username: user.username,
        groups: user.groups,
      } : profileClaims(user)),
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
    if (ctx.oidc.params?.resource) {
      for (const resource of [ctx.oidc.params.resource].flat()) {
        grant.addResourceScope(resource, "openid email profile groups offline_access");
      }
    }
    if (P.jwtAccess === "always") grant.addResourceScope(LOCAL_API, "openid email profile groups offline_access");
    const id = await grant.save();
    grantRequests.set(id, { access_type: ctx.oidc.params?.access_type, prompt: ctx.oidc.params?.prompt });
    return grant;
  },
  issueRefreshToken: async (_ctx, client, code) => (args.profile === "oidc"
    ? client.grantTypeAllowed("refresh_token") : issueRefreshTokenFor(client, code)),
  extraTokenClaims: async (_ctx, token) => (token.kind === "AccessToken" ? accessTokenClaims(bySub.get(token.accountId)) : undefined),
  rotateRefreshToken: () => args.rotateRefreshTokens && args.profile !== "google", // Google does not rotate
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

const SESSION_COOKIES = ["_session", "_session.sig", "_session.legacy", "_session.legacy.sig"];

// Auth0's own logout: GET /v2/logout?client_id=...&returnTo=... (returnTo must be one of the
// application's Allowed Logout URLs; without it, the first one).
// https://auth0.com/docs/api/authentication/logout/auth-0-logout
function auth0Logout(res, url) {
  const clientId = url.searchParams.get("client_id");
  const returnTo = url.searchParams.get("returnTo") ?? args.postLogoutRedirectUris[0];
  console.log(JSON.stringify({ event: "logout", style: "auth0", params: Object.fromEntries(url.searchParams) }));
  if (clientId !== null && clientId !== args.clientId) {
    return send(res, 400, page("Error", "<h1>Unknown client_id</h1>"));
  }
  if (!returnTo || !args.postLogoutRedirectUris.includes(returnTo)) {
    return send(res, 400, page("Error", "<h1>returnTo is not an Allowed Logout URL</h1>"));
  }
  // Ends the provider's session: its session cookie goes (the session record just expires).
  return send(res, 302, "", {
    Location: returnTo,
    "set-cookie": SESSION_COOKIES.map((n) => `${n}=; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; httponly; samesite=lax`),
  });
}

const AUTHORIZATION_PATH = P.routes.authorization ?? "/auth";

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, origin);
  if (args.profile === "auth0" && url.pathname === "/v2/logout" && req.method === "GET") return auth0Logout(res, url);
  const match = INTERACTION.exec(url.pathname);
  if (!match) {
    if (mountPath) {
      // Mounted under the issuer's path (oidc-provider reads the mount from originalUrl).
      if (!url.pathname.startsWith(`${mountPath}/`)) return send(res, 404, page("Not found", "<h1>Not found</h1>"));
      req.url = req.url.slice(mountPath.length);
    }
    const path = req.url.split("?")[0];
    if (path === AUTHORIZATION_PATH && req.method === "GET") {
      const params = Object.fromEntries(url.searchParams);
      console.log(JSON.stringify({ event: "authorize", profile: args.profile, params }));
      if (args.profile === "auth0" && params.audience && !params.resource) {
        // Auth0's `audience` names the API an access token is for: oidc-provider's `resource`.
        url.searchParams.set("resource", params.audience);
      }
      const prompts = String(params.prompt ?? "").split(" ").filter(Boolean);
      if (P.refresh === "offline_access" && String(params.scope ?? "").split(" ").includes("offline_access")
          && !prompts.includes("consent") && !prompts.includes("none")) {
        // Auth0, Okta and Entra honour offline_access without prompt=consent; oidc-provider follows
        // OIDC Core 1.0 section 11 and drops the scope unless consent is prompted: prompt it here
        // (the one first-party client's consent is granted without a page).
        url.searchParams.set("prompt", [...prompts, "consent"].join(" "));
      }
      const rewritten = url.searchParams.toString();
      if (rewritten !== new URLSearchParams(params).toString()) req.url = `${path}?${rewritten}`;
    }
    // oidc-provider finds its mount path as the part of originalUrl before req.url.
    if (mountPath) req.originalUrl = mountPath + req.url;
    return oidc(req, res);
  }
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
  console.log(JSON.stringify({ ready: true, provider: "oidc-provider", profile: args.profile, url: origin, issuer }));
});
const stop = () => server.close(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
