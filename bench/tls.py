"""The benchmark's HTTPS identity provider: the LocalIdp behind TLS, with a throw-away CA.

At the edge every IdP call is HTTPS, and a cold process pays for it: `ssl`'s import, loading the
CA bundle, the handshake. The CPU-share context measures that, so its IdP speaks TLS with a
certificate from a CA made for this run (never written anywhere but the run's temporary dir):

- ours trusts it through OpenSSL's documented `SSL_CERT_FILE` (Python's
  `ssl.SSLContext.load_default_certs()` -> `set_default_verify_paths()`): pointed at the
  system's CA bundle plus this CA when the gate loads the default roots (so it parses as many
  roots as at the edge), or at this CA alone when the zip carries its own trust store;
- the Node peers get the same CA added to Node's built-in roots by bench/node/network.js, which
  also sends their requests for `auth.example.com` (token endpoint) and
  `cognito-idp.<region>.amazonaws.com` (JWKS) to this server, as DNS would at the edge.

The certificate names those two hosts and 127.0.0.1. The server also answers Cognito's own
paths (`/oauth2/token`, `/<pool>/.well-known/jwks.json`) as the LocalIdp's `/token` and `/jwks`,
so every request is counted in one list whoever sends it.
"""

from __future__ import annotations

import datetime
import ssl

from local.doubles.idp_server import LocalIdp

SYSTEM_BUNDLES = (
    "/etc/ssl/certs/ca-certificates.crt",  # Debian, Ubuntu
    "/etc/pki/tls/certs/ca-bundle.crt",  # Amazon Linux (the Lambda runtimes), Fedora
    "/etc/ssl/cert.pem",  # Alpine, macOS
)


def make_ca_and_leaf(hosts: list[str], directory: str) -> dict:
    """A CA and a server certificate for `hosts` (and 127.0.0.1); PEM files in `directory`."""
    import ipaddress
    import os

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "gate benchmark CA (throw-away)")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )  # keyCertSign, cRLSign
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.DNSName(h) for h in hosts] + [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    files = {
        "ca": os.path.join(directory, "bench-ca.pem"),
        "cert": os.path.join(directory, "bench-idp-cert.pem"),
        "key": os.path.join(directory, "bench-idp-key.pem"),
        "bundle": os.path.join(directory, "bench-ca-bundle.pem"),
    }
    ca_pem = ca.public_bytes(pem)
    with open(files["ca"], "wb") as f:
        f.write(ca_pem)
    with open(files["cert"], "wb") as f:
        f.write(leaf.public_bytes(pem) + ca_pem)
    with open(files["key"], "wb") as f:
        f.write(key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    system = next((p for p in SYSTEM_BUNDLES if os.path.exists(p)), None)
    with open(files["bundle"], "wb") as f:
        if system:
            with open(system, "rb") as g:
                f.write(g.read().rstrip(b"\n") + b"\n")
        f.write(ca_pem)
    files["system_bundle"] = system or ""
    return files


class TlsIdp(LocalIdp):
    """LocalIdp over HTTPS on 127.0.0.1, answering Cognito's paths too (see the module doc)."""

    def __init__(self, keys, client_id: str, cert_file: str, key_file: str, pool_id: str):
        self._aliases = {  # before LocalIdp.__init__, which makes the handler class
            "/oauth2/token": "/token",
            f"/{pool_id}/.well-known/jwks.json": "/jwks",
        }
        super().__init__(keys, client_id)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)

    @property
    def base(self) -> str:
        _host, port = self._server.server_address[:2]
        return f"https://127.0.0.1:{port}"

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def _handler_class(self):
        base = super()._handler_class()
        aliases = self._aliases

        class Handler(base):
            def _alias(self):
                path, sep, query = self.path.partition("?")
                self.path = aliases.get(path, path) + sep + query

            def do_GET(self):
                self._alias()
                super().do_GET()

            def do_POST(self):
                self._alias()
                super().do_POST()

        return Handler
