"""The trust store the edge verifies its IdP against: certifi's roots as an OpenSSL hashed directory.

Why a directory: `ssl.create_default_context()` / urllib3's `load_default_certs()` parse every
root of the system bundle (~145 certificates) when a TLS context is made: ~20 ms of CPU, ~280 ms
of a cold start at the 7.2% CPU share of a 128 MB function, on every callback and JWKS fetch. An
OpenSSL "hashed directory" (`SSLContext.load_verify_locations(capath=...)`) is read lazily: a
handshake opens only the file named after its chain's issuer (`<subject hash>.<n>`). The roots are
Mozilla's, from the hash-pinned certifi wheel in vendor/requirements.txt (what requests and
botocore verify against); a rebuild picks up a newer certifi.

The file names are OpenSSL's subject hash (`openssl x509 -subject_hash`, X509_NAME_hash_ex): the
first four bytes, little-endian, of the SHA-1 of the subject's canonical encoding
(crypto/x509/x_name.c, x509_name_canon): every string value as UTF8String, lowercased (ASCII),
leading/trailing whitespace cut and inner runs collapsed to one space, each RDN's SET OF
re-encoded in DER order, concatenated without the outer SEQUENCE. A wrong hash can only make a
root unfindable (verification fails closed), never trust a certificate that is not in the bundle.
tests/build/test_cacerts.py compares every name with the openssl command line.
"""

from __future__ import annotations

import base64
import hashlib

DIRECTORY = "edge/cacerts"  # in the zip, next to the code that loads it (edge/idp.py)
BUNDLE = "certifi/cacert.pem"  # in the vendor directory
LICENCE_GLOB = "certifi-*.dist-info"

_SEQUENCE, _SET, _OID = 0x30, 0x31, 0x06
# ASN.1 string types OpenSSL canonicalises (ASN1_MASK_CANON) and how their bytes decode
_STRING_TYPES = {
    0x0C: "utf-8",  # UTF8String
    0x13: "latin-1",  # PrintableString
    0x14: "latin-1",  # T61String (OpenSSL reads it as Latin-1)
    0x16: "latin-1",  # IA5String
    0x1A: "latin-1",  # VisibleString
    0x1C: "utf-32-be",  # UniversalString
    0x1E: "utf-16-be",  # BMPString
}
_SPACE = b" \t\n\v\f\r"


class CertificateError(ValueError):
    pass


def _read(data: bytes, pos: int) -> tuple[int, int, int, int]:
    """(tag, start of contents, end of contents, end of the element) of the DER element at pos."""
    if pos + 2 > len(data):
        raise CertificateError("truncated DER")
    tag, length = data[pos], data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or pos + count > len(data):
            raise CertificateError("bad DER length")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    if pos + length > len(data):
        raise CertificateError("truncated DER")
    return tag, pos, pos + length, pos + length


def _children(data: bytes, start: int, end: int) -> list[tuple[int, int, int, int]]:
    """The elements inside a constructed element: (tag, element start, contents start, end)."""
    found = []
    while start < end:
        tag, body, _, after = _read(data, start)
        found.append((tag, start, body, after))
        start = after
    return found


def _encode(tag: int, contents: bytes) -> bytes:
    n = len(contents)
    if n < 0x80:
        return bytes([tag, n]) + contents
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + contents


def _canonical_value(tag: int, contents: bytes) -> bytes:
    if tag not in _STRING_TYPES:
        return _encode(tag, contents)  # not a string OpenSSL folds: kept as it is
    try:
        text = contents.decode(_STRING_TYPES[tag]).encode("utf-8")
    except UnicodeDecodeError:
        raise CertificateError("undecodable name string") from None
    text = text.strip(_SPACE)
    out = bytearray()
    i = 0
    while i < len(text):
        byte = text[i]
        if byte in _SPACE:
            out.append(0x20)
            while i < len(text) and text[i] in _SPACE:
                i += 1
            continue
        out.append(byte + 32 if 0x41 <= byte <= 0x5A else byte)
        i += 1
    return _encode(0x0C, bytes(out))


def subject_der(certificate: bytes) -> bytes:
    """The subject Name (a DER SEQUENCE) of a DER X.509 certificate."""
    tag, body, end, _ = _read(certificate, 0)
    parts = _children(certificate, body, end) if tag == _SEQUENCE else []
    if not parts or parts[0][0] != _SEQUENCE:
        raise CertificateError("not a certificate")
    _, _, tbs_body, tbs_end = parts[0]
    fields = _children(certificate, tbs_body, tbs_end)
    if not fields:
        raise CertificateError("not a certificate")
    if fields[0][0] == 0xA0:  # [0] EXPLICIT version
        fields = fields[1:]
    # serialNumber, signature, issuer, validity, subject
    if len(fields) < 5 or fields[4][0] != _SEQUENCE:
        raise CertificateError("no subject")
    _, start, _, after = fields[4]
    return certificate[start:after]


def subject_hash(certificate: bytes) -> str:
    """OpenSSL's subject hash of a DER certificate, as the 8 hex digits of its file name."""
    name = subject_der(certificate)
    _, body, end, _ = _read(name, 0)
    canonical = bytearray()
    for rdn_tag, _, rdn_body, rdn_end in _children(name, body, end):
        if rdn_tag != _SET:
            raise CertificateError("bad RDN")
        entries = []
        for atv_tag, _, atv_body, atv_end in _children(name, rdn_body, rdn_end):
            parts = _children(name, atv_body, atv_end)
            if atv_tag != _SEQUENCE or len(parts) != 2 or parts[0][0] != _OID:
                raise CertificateError("bad attribute")
            (_, oid_start, _, oid_end), (value_tag, _, value_body, value_end) = parts
            value = _canonical_value(value_tag, name[value_body:value_end])
            entries.append(_encode(_SEQUENCE, name[oid_start:oid_end] + value))
        canonical += _encode(_SET, b"".join(sorted(entries)))  # DER: a SET OF in sorted order
    digest = hashlib.sha1(bytes(canonical)).digest()
    return f"{int.from_bytes(digest[:4], 'little'):08x}"


def pem_certificates(bundle: str) -> list[bytes]:
    """The DER certificates of a PEM bundle, in order."""
    found = []
    for block in bundle.split("-----BEGIN CERTIFICATE-----")[1:]:
        body, sep, _ = block.partition("-----END CERTIFICATE-----")
        if not sep:
            raise CertificateError("unterminated PEM certificate")
        found.append(base64.b64decode("".join(body.split()), validate=True))
    return found


def to_pem(der: bytes) -> bytes:
    text = base64.b64encode(der).decode("ascii")
    lines = [text[i : i + 64] for i in range(0, len(text), 64)]
    return ("-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n").encode("ascii")


def hashed_directory(bundle: str) -> dict[str, bytes]:
    """{file name: PEM} for an OpenSSL hashed directory of a PEM bundle's certificates.

    Certificates whose subjects hash alike get .0, .1, ... in bundle order (c_rehash's rule)."""
    files: dict[str, bytes] = {}
    for der in pem_certificates(bundle):
        stem = subject_hash(der)
        n = 0
        while f"{stem}.{n}" in files:
            n += 1
        files[f"{stem}.{n}"] = to_pem(der)
    return files
