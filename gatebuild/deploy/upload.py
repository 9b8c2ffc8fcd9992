"""Uploads: the function's zip to the artifact bucket, the site build to the site bucket, and
the CloudFront invalidation that makes the new site visible.
"""

from __future__ import annotations

import mimetypes
import os
import time
from pathlib import Path

from botocore.exceptions import ClientError

from .errors import DeployError
from .progress import Progress

IMMUTABLE = "public, max-age=31536000, immutable"
NO_CACHE = "no-cache"
HASHED_DIR = "assets/"   # Vite puts content-hashed files here
TEXT_TYPES = {"application/javascript", "application/json", "application/manifest+json",
              "application/xml", "image/svg+xml", "text/javascript"}
CONTENT_TYPES = {
    ".html": "text/html", ".htm": "text/html", ".js": "text/javascript", ".mjs": "text/javascript",
    ".css": "text/css", ".json": "application/json", ".map": "application/json",
    ".webmanifest": "application/manifest+json", ".svg": "image/svg+xml", ".png": "image/png",
    ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp",
    ".avif": "image/avif", ".ico": "image/x-icon", ".woff": "font/woff", ".woff2": "font/woff2",
    ".ttf": "font/ttf", ".otf": "font/otf", ".txt": "text/plain", ".xml": "application/xml",
    ".wasm": "application/wasm", ".pdf": "application/pdf", ".mp4": "video/mp4", ".webm": "video/webm",
}


def content_type(name: str) -> str:
    ext = os.path.splitext(name)[1].lower()
    kind = CONTENT_TYPES.get(ext) or mimetypes.guess_type(name)[0] or "application/octet-stream"
    if kind.startswith("text/") or kind in TEXT_TYPES:
        kind += "; charset=utf-8"
    return kind


def cache_control(key: str) -> str:
    """Hashed build output may be cached for a year; everything else must be revalidated."""
    return IMMUTABLE if key.startswith(HASHED_DIR) else NO_CACHE


# --------------------------------------------------------------------------- artifacts

def artifact_bucket_name(account_id: str, region: str) -> str:
    return f"gate-artifacts-{account_id}-{region}"


def ensure_artifact_bucket(s3, name: str, region: str, progress: Progress) -> None:
    """Create the private bucket holding the function's zips, unless it is already ours."""
    try:
        s3.head_bucket(Bucket=name)
        return
    except ClientError as exc:
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        code = exc.response.get("Error", {}).get("Code")
        if status == 403 or code in ("403", "AccessDenied"):
            raise DeployError(
                f"artifact bucket {name} exists but this account cannot use it; pass --artifact-bucket "
                "with a bucket of yours in us-east-1"
            ) from None
        if status != 404 and code not in ("404", "NoSuchBucket", "NotFound"):
            raise
    progress.note(f"creating artifact bucket {name}")
    params = {"Bucket": name}
    if region != "us-east-1":
        params["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**params)
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": True}]})


def upload_artifact(s3, bucket: str, key: str, data: bytes, progress: Progress) -> None:
    """Upload the zip unless the same content-addressed key is already there."""
    try:
        s3.head_object(Bucket=bucket, Key=key)
        progress.note(f"s3://{bucket}/{key} already uploaded")
        return
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NotFound"):
            raise
    s3.put_object(Bucket=bucket, Key=key, Body=data, ContentType="application/zip")
    progress.note(f"uploaded s3://{bucket}/{key} ({len(data)} bytes)")


# --------------------------------------------------------------------------- the site

def site_files(site_dir: str) -> list[tuple[str, Path]]:
    """(key, path) for every file to upload, in upload order: hashed assets first, then other
    files, then HTML with index.html last, so no page ever references a file not uploaded yet."""
    root = Path(site_dir)
    if not (root / "index.html").is_file():
        raise DeployError(
            f"{site_dir}/index.html not found; build the site first (cd site && npm ci && npm run build) "
            "or pass --site-dir, or --skip-site"
        )
    files = []
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        key = path.relative_to(root).as_posix()
        if any(part.startswith(".") for part in key.split("/")):
            continue
        files.append((key, path))

    def order(item):
        key = item[0]
        if key.startswith(HASHED_DIR):
            return (0, key)
        if key == "index.html":
            return (3, key)
        if key.endswith((".html", ".htm")):
            return (2, key)
        return (1, key)

    return sorted(files, key=order)


def upload_site(s3, bucket: str, site_dir: str, progress: Progress) -> int:
    files = site_files(site_dir)
    total = len(files)
    for done, (key, path) in enumerate(files, start=1):
        with open(path, "rb") as body:
            s3.put_object(Bucket=bucket, Key=key, Body=body.read(),
                          ContentType=content_type(key), CacheControl=cache_control(key))
        progress.count("uploaded", done, total)
    return total


def invalidate_all(cloudfront, distribution_id: str, progress: Progress) -> str:
    reply = cloudfront.create_invalidation(
        DistributionId=distribution_id,
        InvalidationBatch={"Paths": {"Quantity": 1, "Items": ["/*"]}, "CallerReference": f"deploy-{time.time_ns()}"},
    )
    invalidation_id = reply["Invalidation"]["Id"]
    progress.note(f"invalidation {invalidation_id} of /* started (takes a minute or two to reach every edge)")
    return invalidation_id
