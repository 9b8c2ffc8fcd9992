// The benchmark's network for the Node peers (bench/tls.py): their HTTPS requests for the IdP's
// public host names go to the benchmark's TLS server on 127.0.0.1, and that server's throw-away
// CA is trusted beside Node's built-in roots. Nothing else changes: the peers build their own
// URLs (https://<cognito domain>/oauth2/token, https://cognito-idp.<region>.amazonaws.com/<pool>/
// .well-known/jwks.json) and send them with their own HTTP clients (axios, jwks-rsa,
// aws-jwt-verify), as they would at the edge; this stands in for DNS.
//
// Every HTTPS client in Node ends in tls.connect(options) (https.Agent.prototype.createConnection
// calls it with one options object), so that is the one place redirected. The CA is given as
// `ca` = Node's root certificates + the benchmark's CA: Node then loads its ~140 roots for the
// connection, as it does for a real IdP, and the Python side loads the system bundle likewise.
// NODE_EXTRA_CA_CERTS is not used: it is read at every start, even by requests that never
// open a connection (FIELD-NOTES: +25-40 ms per start on this machine).
"use strict";

function install(network) {
  // network: { hosts: [name...], port: <TLS server port>, ca: <PEM> } or null/undefined
  if (!network) return;
  const tls = require("tls");
  const hosts = new Set(network.hosts);
  const original = tls.connect;
  let ca;
  tls.connect = function connect(...args) {
    const options = args[0];
    if (options && typeof options === "object" && hosts.has(options.host || options.servername)) {
      if (ca === undefined) ca = tls.rootCertificates.concat([network.ca]);
      const name = options.servername || options.host;
      args[0] = { ...options, host: "127.0.0.1", port: network.port, servername: name, ca };
    }
    return original.apply(this, args);
  };
}

module.exports = { install };
