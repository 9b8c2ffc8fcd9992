"""gatebuild/cacerts.py and edge/idp.py's trust_context (issue 22): the IdP's TLS roots as an
OpenSSL hashed directory in the zip, read lazily instead of parsing a whole CA bundle.

The file names must be OpenSSL's own subject hash, or OpenSSL never finds a root: checked
against the `openssl x509 -subject_hash` command for every root that ships and for names that
exercise the canonical form (case, whitespace, BMPString, multi-valued RDNs); then a real TLS
handshake through urllib3 with trust_context() finds its root in such a directory, and fails
closed when the root is not there.
"""

from __future__ import annotations

import datetime
import ipaddress
import shutil
import ssl
import subprocess
import zipfile

import pytest
import urllib3
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

import edge.idp
from gatebuild import cacerts, vendor
from gatebuild.runtime import find_python313
from tests.build.test_build_zip import build
from tests.conftest import CLIENT_ID, ROOT
from tests.support.idp_server import LocalIdp

OPENSSL = shutil.which("openssl")
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="the openssl command is the reference")
NOW = datetime.datetime.now(datetime.UTC)


def openssl_hash(der: bytes) -> str:
    result = subprocess.run(
        [OPENSSL, "x509", "-noout", "-subject_hash"], input=cacerts.to_pem(der), capture_output=True, check=True
    )
    return result.stdout.decode().strip()


def self_signed(name: x509.Name, key=None) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    key = key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - datetime.timedelta(days=1))
        .not_valid_after(NOW + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


@pytest.fixture(scope="module")
def shipped_bundle(tmp_path_factory) -> str:
    vendor_dir = vendor.install(f"{ROOT}/build", find_python313())
    with open(f"{vendor_dir}/{cacerts.BUNDLE}", encoding="ascii") as f:
        return f.read()


@needs_openssl
def test_every_shipped_root_is_named_by_openssls_subject_hash(shipped_bundle):
    roots = cacerts.pem_certificates(shipped_bundle)
    assert len(roots) > 100  # not vacuous: certifi's Mozilla roots
    mismatches = [
        (openssl_hash(d), cacerts.subject_hash(d)) for d in roots if openssl_hash(d) != cacerts.subject_hash(d)
    ]
    assert not mismatches
    files = cacerts.hashed_directory(shipped_bundle)
    assert len(files) == len(roots) and all(name.rsplit(".", 1)[1].isdigit() for name in files)


@needs_openssl
@pytest.mark.parametrize(
    "attributes",
    [
        [[(NameOID.COMMON_NAME, "Example Root CA")]],
        [[(NameOID.COMMON_NAME, "  MiXeD   Case\tRoot  ")], [(NameOID.ORGANIZATION_NAME, "ACME  Inc.")]],
        [[(NameOID.COUNTRY_NAME, "DE")], [(NameOID.COMMON_NAME, "Wurzel-Zertifizierungsstelle Über")]],
        [[(NameOID.COMMON_NAME, "bmp root", x509.name._ASN1Type.BMPString)]],
        [[(NameOID.ORGANIZATION_NAME, "Z Org"), (NameOID.COMMON_NAME, "multi-valued RDN")]],
        [[(NameOID.EMAIL_ADDRESS, "CA@Example.COM")], [(NameOID.DOMAIN_COMPONENT, "Example")]],
    ],
)
def test_subject_hash_follows_openssls_canonical_form(attributes):
    # each attribute: (oid, value) or (oid, value, ASN.1 string type)
    rdns = [x509.RelativeDistinguishedName([x509.NameAttribute(*a) for a in rdn]) for rdn in attributes]
    cert, _ = self_signed(x509.Name(rdns))
    assert cacerts.subject_hash(der(cert)) == openssl_hash(der(cert))


def test_same_subject_hashes_get_numbered_files():
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Twice")])
    first, key = self_signed(name)
    second, _ = self_signed(name, key)  # a re-issued root: same subject, another certificate
    bundle = (cacerts.to_pem(der(first)) + cacerts.to_pem(der(second))).decode()
    files = cacerts.hashed_directory(bundle)
    stem = cacerts.subject_hash(der(first))
    assert sorted(files) == [f"{stem}.0", f"{stem}.1"]
    assert cacerts.pem_certificates(files[f"{stem}.1"].decode()) == [der(second)]


def test_malformed_certificates_are_refused():
    for bad in (b"", b"\x30\x05\x02\x01", b"\x04\x00", b"\x30\x03\x02\x01\x01"):
        with pytest.raises(cacerts.CertificateError):
            cacerts.subject_hash(bad)


@pytest.fixture
def tls_idp(tmp_path, keys):
    """A LocalIdp behind TLS: a leaf for 127.0.0.1 issued by a local root. Returns (url, root)."""
    root, root_key = self_signed(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Gate Test Root")]))
    leaf_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(root.subject)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - datetime.timedelta(days=1))
        .not_valid_after(NOW + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    (tmp_path / "leaf.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "leaf.key").write_bytes(
        leaf_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(tmp_path / "leaf.pem", tmp_path / "leaf.key")
    idp = LocalIdp(keys, CLIENT_ID)
    idp._server.socket = server.wrap_socket(idp._server.socket, server_side=True)
    with idp:
        yield f"https://127.0.0.1:{idp._server.server_address[1]}/jwks", root


def trust_store_with(directory, roots) -> str:
    directory.mkdir()
    bundle = b"".join(cacerts.to_pem(der(r)) for r in roots).decode()
    for name, pem in cacerts.hashed_directory(bundle).items():
        (directory / name).write_bytes(pem)
    return str(directory)


def fetch(url: str) -> int:
    pool = urllib3.PoolManager(retries=False, ssl_context=edge.idp.trust_context())
    return pool.request("GET", url, timeout=5).status


def test_a_handshake_finds_its_root_in_the_hashed_directory_and_fails_closed_without_it(tls_idp, tmp_path, monkeypatch):
    url, root = tls_idp
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)  # this machine sets it; the edge has none
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    other, _ = self_signed(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Some Other Root")]))
    monkeypatch.setattr(edge.idp, "TRUST_STORE", trust_store_with(tmp_path / "with", [other, root]))
    assert fetch(url) == 200
    monkeypatch.setattr(edge.idp, "TRUST_STORE", trust_store_with(tmp_path / "without", [other]))
    with pytest.raises(urllib3.exceptions.SSLError):
        fetch(url)
    # the right root but the wrong name: the leaf is for 127.0.0.1 only
    monkeypatch.setattr(edge.idp, "TRUST_STORE", trust_store_with(tmp_path / "again", [root]))
    assert fetch(url) == 200
    with pytest.raises(urllib3.exceptions.SSLError, match=r"match|mismatch"):
        fetch(url.replace("127.0.0.1", "localhost"))
    # a local run may add a root through OpenSSL's own variable (never set at the edge)
    (tmp_path / "root.pem").write_bytes(cacerts.to_pem(der(root)))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "root.pem"))
    assert fetch(url) == 200


def test_the_built_zip_ships_the_roots_as_a_hashed_directory_with_certifis_licence(tmp_path, keys, shipped_bundle):
    config = f"""
[idp]
provider = "cognito"
client_id = "{CLIENT_ID}"
[cognito]
region = "us-east-1"
user_pool_id = "us-east-1_Test12345"
domain = "auth.example.com"
"""
    result, out = build(tmp_path, config, keys.jwks())
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(out) as archive:
        shipped = {
            n.rsplit("/", 1)[1]: archive.read(n) for n in archive.namelist() if n.startswith(cacerts.DIRECTORY + "/")
        }
        names = archive.namelist()
    assert shipped == cacerts.hashed_directory(shipped_bundle)
    assert [n for n in names if n.startswith("certifi-") and "LICENSE" in n]
    assert not [n for n in names if n.startswith("certifi/")]  # certifi's code does not ship
