// The second Node peer for the benchmark (bench/README.md): Auth@Edge's check-auth and
// parse-auth Lambda@Edge functions as shipped, prebuilt by webpack, in the npm package
// @liflig/cdk-cloudfront-auth (dist/check-auth/index.js, dist/parse-auth/index.js), a maintained
// fork of aws-samples/cloudfront-authorization-at-edge. bench/run.py copies a function's
// index.js into a directory of its own with the config.json the package's CDK construct would
// write there, and runs it with this driver:
//
//   node authedge.js cold <function dir> <network.json> <event JSON>
//       one request in a fresh process; prints "BENCH t0 t1 t2 status" on stderr (CLOCK_MONOTONIC
//       ns: this script's first line, function loaded, response ready) and a summary on stdout
//   node authedge.js worker <function dir> <network.json>    a warm process: JSON commands on stdin
//
// Not bundled: the function is loaded from its own file, as Lambda loads index.handler.
"use strict";
const t0 = process.hrtime.bigint();
const fs = require("fs");
const path = require("path");

const [mode, functionDir, networkPath, eventJson] = process.argv.slice(2);
require("./network").install(JSON.parse(fs.readFileSync(networkPath, "utf8")));

function summary(result) {
  if (!result || !("status" in result)) return { status: "pass" };
  const location = result.headers && result.headers.location ? result.headers.location[0].value : "";
  const cookies = ((result.headers && result.headers["set-cookie"]) || []).map((c) => c.value);
  return { status: String(result.status), location, cookies };
}

// The function also writes to stdout ("Loading config from ..."); the summary is the last JSON line.
const write = (line) => process.stdout.write(line);

async function cold() {
  const event = JSON.parse(eventJson);
  const { handler } = require(path.join(functionDir, "index.js"));
  const t1 = process.hrtime.bigint();
  const result = await handler(event);
  const t2 = process.hrtime.bigint();
  const s = summary(result);
  write(JSON.stringify(s) + "\n");
  process.stderr.write(`BENCH ${t0} ${t1} ${t2} ${s.status}\n`);
}

async function worker() {
  console.log = () => {}; // stdout carries the replies; the warm worker is never timed
  const { handler } = require(path.join(functionDir, "index.js"));
  const readline = require("readline");
  const rl = readline.createInterface({ input: process.stdin });
  for await (const line of rl) {
    const command = JSON.parse(line);
    const reply = command.op === "handle" ? { result: summary(await handler(command.event)) } : { error: `unknown op ${command.op}` };
    write(JSON.stringify(reply) + "\n");
  }
}

(mode === "cold" ? cold() : worker()).then(
  () => process.exit(0), // jwks-rsa and axios keep-alive sockets would hold the process open
  (err) => {
    process.stderr.write(`peer failed: ${(err && err.stack) || err}\n`);
    process.exit(1);
  },
);
