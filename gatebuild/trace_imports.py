"""Run in the target interpreter: import everything the edge function can import, print the files.

argv[1] is a staging directory holding `edge/` and the installed vendor packages. Every lazy
import of the function is exercised here: the jose key construction, urllib3.
"""

import json
import os
import sys

staging = os.path.abspath(sys.argv[1])
sys.path.insert(0, staging)

import edge.gate  # noqa: E402
import edge.handler  # noqa: E402
import edge.idp  # noqa: E402
import edge.log  # noqa: E402
import edge.settings  # noqa: E402,F401
from edge.jwks import construct_key  # noqa: E402

# A throwaway 2048-bit public key: only its shape matters here.
key = construct_key({"kty": "RSA", "e": "AQAB", "n": "u" + "A" * 340 + "Q"}, "RS256")
key.verify(b"header.payload", b"\1" * 256)  # the verify path's own lazy imports, if any
import urllib3  # noqa: E402

urllib3.PoolManager(retries=False).connection_from_url("https://example.invalid/")
urllib3.Timeout(connect=1, read=1, total=1)

files = set()
for module in list(sys.modules.values()):
    path = getattr(module, "__file__", None)
    if path and os.path.abspath(path).startswith(staging + os.sep) and path.endswith(".py"):
        files.add(os.path.relpath(os.path.abspath(path), staging).replace(os.sep, "/"))
print(json.dumps(sorted(files)))
