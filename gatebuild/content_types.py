"""The Content-Type each site file gets: set by the deploy's upload (gatebuild/deploy/upload.py)
as the S3 object's metadata, and served as the same by the local emulator's S3 model.

Text types carry `; charset=utf-8` (Vite writes UTF-8). A name whose type is unknown gets
application/octet-stream (S3 itself would say binary/octet-stream for an object uploaded without
a ContentType: https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html).
"""

from __future__ import annotations

import mimetypes
import os

CONTENT_TYPES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".json": "application/json",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".txt": "text/plain",
    ".xml": "application/xml",
    ".wasm": "application/wasm",
    ".pdf": "application/pdf",
    ".mp4": "video/mp4",
    ".webm": "video/webm",
}
TEXT_TYPES = {
    "application/javascript",
    "application/json",
    "application/manifest+json",
    "application/xml",
    "image/svg+xml",
    "text/javascript",
}
UNKNOWN = "application/octet-stream"


def content_type(name: str) -> str:
    ext = os.path.splitext(name)[1].lower()
    kind = CONTENT_TYPES.get(ext) or mimetypes.guess_type(name)[0] or UNKNOWN
    if (kind.startswith("text/") or kind in TEXT_TYPES) and "charset" not in kind:
        kind += "; charset=utf-8"
    return kind
