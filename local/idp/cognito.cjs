#!/usr/bin/env node
// cognito-local (npm, pinned in package.json) on 127.0.0.1, for running the gate locally.
//
//   node local/idp/cognito.cjs --port 9229 [--host 127.0.0.1] [--data-dir DIR]
//
// This is cognito-local's own server (its createDefaultServer, rebuilt here so the services are
// reachable) with its data in DIR/.cognito, the issuer on http://HOST:PORT/<poolId>, and three
// hosted-UI routes put in front of it where cognito-local lacks what real Cognito has:
//   GET  /<poolId>/.well-known/openid-configuration  the real host and all hosted-UI endpoints
//        (cognito-local's own says localhost:9229 and lists only issuer and jwks_uri); like
//        real Cognito it lists no end_session_endpoint.
//   GET  /logout?client_id=&logout_uri=   Cognito's non-standard logout: logout_uri must be one
//        of the app client's sign-out URLs (LogoutURLs), else 400.
//   POST /oauth2/revoke   token=<refresh token>&client_id=: the refresh token stops working.
// Everything else (the /oauth2/authorize login form, /oauth2/token with PKCE S256 and
// refresh_token, JWKS, the admin API used for seeding) is cognito-local unchanged.
// Seed pools, clients, groups and users with boto3 (endpoint_url=http://HOST:PORT), sending
// X-Gate-Local-Admin: $GATE_IDP_ADMIN_TOKEN (local/stack.py with_admin_token): the management API
// answers nothing else, and no other Host than this loopback server's own.
"use strict";

const fs = require("node:fs");
const http = require("node:http");
const path = require("node:path");

function parseArgs(argv) {
  const out = { port: 9229, host: "127.0.0.1", dataDir: process.cwd() };
  for (let i = 2; i < argv.length; i += 1) {
    const [name, value] = [argv[i], argv[i + 1]];
    if (name === "--port") out.port = Number.parseInt(value, 10);
    else if (name === "--host") out.host = value;
    else if (name === "--data-dir") out.dataDir = path.resolve(value);
    else {
      console.error(`unknown argument ${name}`);
      process.exit(2);
    }
    i += 1;
  }
  return out;
}

const args = parseArgs(process.argv);
fs.mkdirSync(path.join(args.dataDir, ".cognito", "db"), { recursive: true });

const lib = (name) => require(`cognito-local/lib/${name}`);
const express = require("express");
const bodyParser = require("body-parser");
const pino = require("pino");
const AWS = require("aws-sdk");
const { DefaultConfig } = lib("server/config");
const { createServer } = lib("server/server");
const { Router } = lib("server/Router");
const services = lib("services");
const { CognitoServiceFactoryImpl } = lib("services/cognitoService");
const { CryptoService } = lib("services/crypto");
const { StormDBDataStoreFactory } = lib("services/dataStore/stormDb");
const { ConsoleMessageSender } = lib("services/messageDelivery/consoleMessageSender");
const { MessageDeliveryService } = lib("services/messageDelivery/messageDelivery");
const { otp } = lib("services/otp");
const { JwtTokenGenerator } = lib("services/tokenGenerator");
const { UserPoolServiceFactoryImpl } = lib("services/userPoolService");

const origin = `http://${args.host}:${args.port}`;
const logger = pino({ level: process.env.DEBUG ? "debug" : "info", base: undefined });

async function main() {
  const dataDirectory = path.join(args.dataDir, ".cognito", "db");
  const config = {
    ...DefaultConfig,
    TokenConfig: { IssuerDomain: origin },
    ServerConfig: { port: args.port, hostname: args.host, development: false, https: false },
  };
  const ctx = { logger };
  const clock = new services.DateClock();
  const dataStoreFactory = new StormDBDataStoreFactory(dataDirectory);
  const cognitoServiceFactory = new CognitoServiceFactoryImpl(
    dataDirectory,
    dataStoreFactory,
    new UserPoolServiceFactoryImpl(clock, dataStoreFactory),
  );
  const cognito = await cognitoServiceFactory.create(ctx, config.UserPoolDefaults);
  const triggers = new services.TriggersService(
    clock,
    cognito,
    new services.LambdaService(config.TriggerFunctions, new AWS.Lambda(config.LambdaClient)),
    new CryptoService(config.KMSConfig),
  );
  const svc = {
    clock,
    cognito,
    config,
    messages: new services.MessagesService(triggers, new MessageDeliveryService(new ConsoleMessageSender())),
    otp,
    tokenGenerator: new JwtTokenGenerator(clock, triggers, config.TokenConfig),
    triggers,
  };
  const inner = createServer(Router(svc), logger, config.ServerConfig, svc).application;

  const app = express();
  app.disable("x-powered-by");

  // Only the demo itself may manage this provider (issue 21, item 6). cognito-local answers its
  // management API (POST / with X-Amz-Target: AdminCreateUser, DescribeUserPoolClient, ...) with
  // Access-Control-Allow-Origin: * and no authentication, so any page open in the browser could
  // read the client secret or create an Admin. Here:
  //  - a Host that is not this server's loopback name is refused (DNS rebinding: a page on
  //    evil.example resolving to 127.0.0.1 would otherwise be same-origin with this server);
  //  - the management API needs X-Gate-Local-Admin = $GATE_IDP_ADMIN_TOKEN (local/stack.py sends
  //    it from boto3), and a browser cannot send it cross-origin without a CORS preflight,
  //    which is refused below;
  //  - no cross-origin request gets CORS headers: the hosted-UI pages are navigations and
  //    same-origin form posts, which need none.
  const allowedHosts = new Set([`${args.host}:${args.port}`, `127.0.0.1:${args.port}`, `localhost:${args.port}`]);
  const adminToken = process.env.GATE_IDP_ADMIN_TOKEN || "";
  const sameToken = (given) => {
    const a = Buffer.from(String(given ?? ""));
    const b = Buffer.from(adminToken);
    return adminToken !== "" && a.length === b.length && require("node:crypto").timingSafeEqual(a, b);
  };
  app.use((req, res, next) => {
    if (!allowedHosts.has(String(req.headers.host ?? "").toLowerCase())) {
      return res.status(421).type("text/plain").send("this provider answers only on its loopback address\n");
    }
    const origin = req.headers.origin;
    const ownOrigin = origin === undefined || [...allowedHosts].some((h) => origin === `http://${h}`);
    if (req.method === "OPTIONS" && !ownOrigin) {
      return res.status(403).type("text/plain").send("cross-origin requests are not allowed\n");
    }
    const management = req.headers["x-amz-target"] !== undefined || (req.method === "POST" && req.path === "/");
    if (management && (!ownOrigin || !sameToken(req.headers["x-gate-local-admin"]))) {
      return res.status(403).json({ __type: "AccessDeniedException", message: "management API: local demo only" });
    }
    if (!ownOrigin) {
      // cognito-local's own cors() would add Access-Control-Allow-Origin: * on the way out
      const setHeader = res.setHeader.bind(res);
      res.setHeader = (name, value) =>
        String(name).toLowerCase().startsWith("access-control-") ? res : setHeader(name, value);
    }
    next();
  });

  app.get("/:userPoolId/.well-known/openid-configuration", async (req, res, next) => {
    const poolId = req.params.userPoolId;
    try {
      await cognito.getUserPool(ctx, poolId);
    } catch {
      return next();
    }
    const issuer = `${origin}/${poolId}`;
    res.json({
      issuer,
      authorization_endpoint: `${origin}/oauth2/authorize`,
      token_endpoint: `${origin}/oauth2/token`,
      revocation_endpoint: `${origin}/oauth2/revoke`,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      response_types_supported: ["code"],
      grant_types_supported: ["authorization_code", "refresh_token"],
      code_challenge_methods_supported: ["S256"],
      scopes_supported: ["openid", "email", "phone", "profile"],
      subject_types_supported: ["public"],
      id_token_signing_alg_values_supported: ["RS256"],
      token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
    });
  });

  app.get("/logout", async (req, res) => {
    const { client_id: clientId, logout_uri: logoutUri } = req.query;
    const client = clientId ? await cognito.getAppClient(ctx, String(clientId)) : null;
    if (!client) {
      return res.status(400).type("text/plain").send("logout: unknown or missing client_id");
    }
    if (!logoutUri || !(client.LogoutURLs ?? []).includes(String(logoutUri))) {
      return res.status(400).type("text/plain").send("logout: logout_uri is not one of the client's sign-out URLs");
    }
    logger.info({ clientId }, "logout");
    res.redirect(302, String(logoutUri));
  });

  app.post("/oauth2/revoke", bodyParser.urlencoded({ extended: false }), async (req, res) => {
    const { token, client_id: clientId } = req.body ?? {};
    if (!token || !clientId) {
      return res.status(400).json({ error: "invalid_request" });
    }
    let pool;
    try {
      pool = await cognito.getUserPoolForClientId(ctx, String(clientId));
    } catch {
      return res.status(400).json({ error: "invalid_client" });
    }
    const user = await pool.getUserByRefreshToken(ctx, String(token));
    if (user) {
      await pool.saveUser(ctx, {
        ...user,
        RefreshTokens: (user.RefreshTokens ?? []).filter((t) => t !== token),
      });
      logger.info({ username: user.Username }, "refresh token revoked");
    }
    res.status(200).end();
  });

  app.use(inner);

  const server = http.createServer(app);
  server.listen(args.port, args.host, () => {
    // The launcher waits for this line.
    console.log(JSON.stringify({ ready: true, provider: "cognito-local", url: origin }));
  });
  const stop = () => server.close(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
