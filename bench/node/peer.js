// The Node peer for the benchmark (bench/README.md): cognito-at-edge's Authenticator, configured
// like the gate (same pool, client, key, tokens, request), with aws-jwt-verify's JWKS cache
// hydrated from the same JWKS so that nothing touches the network, except where a figure is about
// the network (the callback's code exchange and the "JWKS fetched once" cold start), which go to
// the benchmark's LocalIdp on 127.0.0.1: over plain HTTP, as the gate's do, in the unthrottled
// contexts; over HTTPS at the real host names, through bench/node/network.js, in the CPU-share
// context (config.network set).
//
//   node peer.js cold <config.json> <event JSON>   one request in a fresh process; prints
//       "BENCH t0 t1 t2 status" on stderr (CLOCK_MONOTONIC ns: process start of this script,
//       module loaded and configured, response ready) and the response summary on stdout
//   node peer.js worker <config.json>              a warm process: JSON commands on stdin
//
// Bundled by bench/run.py with esbuild into one file (as Lambda@Edge functions usually ship).
"use strict";
const t0 = process.hrtime.bigint();
const fs = require("fs");
const { Authenticator } = require("cognito-at-edge");

const [mode, configPath, eventJson] = process.argv.slice(2);
const config = JSON.parse(fs.readFileSync(configPath, "utf8"));
require("./network").install(config.network);

function localJsonFetcher(url) {
  // aws-jwt-verify's fetcher interface: fetch(uri) -> parsed JSON. The JWKS URI it derives from
  // the pool id (cognito-idp.<region>.amazonaws.com) is answered by the LocalIdp's /jwks.
  const http = require("http");
  return {
    fetch: () => new Promise((resolve, reject) => {
      http.get(url, (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => {
          try { resolve(JSON.parse(Buffer.concat(chunks).toString("utf8"))); } catch (e) { reject(e); }
        });
      }).on("error", reject);
    }),
  };
}

function makeAuthenticator(hydrate) {
  const auth = new Authenticator({
    region: config.region,
    userPoolId: config.userPoolId,
    userPoolAppId: config.clientId,
    userPoolDomain: config.userPoolDomain,
    csrfProtection: { nonceSigningSecret: config.nonceSigningSecret },
    httpOnly: true,
    sameSite: "Lax",
    logLevel: "silent",
  });
  if (hydrate) {
    auth._jwtVerifier.cacheJwks(config.jwks);
  } else if (!config.network) {
    auth._jwtVerifier.jwksCache.fetcher = localJsonFetcher(config.jwksUrl);
  }
  if (!config.network) {
    // The code exchange goes to https://<userPoolDomain>/oauth2/token; send it to the LocalIdp.
    const axios = require("axios");
    axios.interceptors.request.use((request) => {
      request.url = request.url.replace(`https://${config.userPoolDomain}/oauth2/token`, config.tokenUrl);
      return request;
    });
  }
  return auth;
}

function summary(result) {
  if (!result || !("status" in result)) return { status: "pass" };
  const location = result.headers && result.headers.location ? result.headers.location[0].value : "";
  const cookies = (result.headers && result.headers["set-cookie"] || []).map((c) => c.value);
  return { status: String(result.status), location, cookies };
}

async function cold() {
  const event = JSON.parse(eventJson);
  const auth = makeAuthenticator(!config.fetchJwks);
  const t1 = process.hrtime.bigint();
  const result = await auth.handle(event);
  const t2 = process.hrtime.bigint();
  const s = summary(result);
  process.stdout.write(JSON.stringify(s) + "\n");
  process.stderr.write(`BENCH ${t0} ${t1} ${t2} ${s.status}\n`);
}

async function worker() {
  const auth = makeAuthenticator(true);
  let handled = 0;
  const readline = require("readline");
  const rl = readline.createInterface({ input: process.stdin });
  for await (const line of rl) {
    const command = JSON.parse(line);
    let reply;
    if (command.op === "handle") {
      reply = { result: summary(await auth.handle(command.event)) };
      handled += 1;
    } else if (command.op === "loop") {
      const template = JSON.stringify(command.template);
      const ns = [];
      let passed = 0;
      for (const cookie of command.cookies) {
        for (let i = 0; i < (command.repeat || 1); i++) {
          const event = JSON.parse(template);
          event.Records[0].cf.request.headers.cookie = [{ key: "Cookie", value: cookie }];
          const started = process.hrtime.bigint();
          const result = await auth.handle(event);
          ns.push(Number(process.hrtime.bigint() - started));
          if (!("status" in result)) passed += 1;
          handled += 1;
        }
      }
      reply = { ns, passed };
    } else if (command.op === "stats") {
      reply = { handled, node: process.version };
    } else {
      reply = { error: `unknown op ${command.op}` };
    }
    process.stdout.write(JSON.stringify(reply) + "\n");
  }
}

(mode === "cold" ? cold() : worker()).catch((err) => {
  process.stderr.write(`peer failed: ${err && err.stack || err}\n`);
  process.exit(1);
});
