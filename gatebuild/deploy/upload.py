"""Uploads: the function's zip to the artifact bucket, the site build to the site bucket, and
the CloudFront invalidation that makes the new site visible.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from botocore.exceptions import ClientError

from gatebuild.content_types import content_type

from .errors import DeployError
from .progress import Progress

# Everything in the site bucket is behind the gate: `private` keeps it out of every shared cache
# between CloudFront and the browser. CloudFront itself still caches it, because the stack's
# cache policies have a minimum TTL above 0, which wins over private/no-cache ("CachePolicyConfig",
# CloudFront API reference).
IMMUTABLE = "private, max-age=31536000, immutable"
NO_CACHE = "private, no-cache"
HASHED_DIR = "assets/"  # Vite puts content-hashed files here
STALE_GRACE_DAYS = 7  # old hashed assets stay this long for pages still open in a browser
ARTIFACT_EXPIRY_DAYS = 90


def cache_control(key: str) -> str:
    """Hashed build output may be cached for a year; everything else must be revalidated."""
    return IMMUTABLE if key.startswith(HASHED_DIR) else NO_CACHE


# --------------------------------------------------------------------------- artifacts


def artifact_bucket_name(account_id: str, region: str) -> str:
    return f"gate-artifacts-{account_id}-{region}"


def _status(exc: ClientError) -> tuple[int | None, str]:
    return exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode"), exc.response.get("Error", {}).get("Code", "")


def tls_only_policy(name: str) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyPlainHttp",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }


LIFECYCLE = {
    "Rules": [
        {
            "ID": "old-gate-zips",
            "Status": "Enabled",
            "Filter": {"Prefix": ""},
            # deploy.py refreshes the zip a stack runs on before each update (see refresh_artifact), so a
            # rollback always finds it; anything not touched for this long is an old build
            "Expiration": {"Days": ARTIFACT_EXPIRY_DAYS},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
        }
    ]
}


def _owned(s3, name: str, account: str) -> bool:
    """True if the bucket exists and is this account's, False if it does not exist; refused otherwise."""
    try:
        s3.head_bucket(Bucket=name, ExpectedBucketOwner=account)
        return True
    except ClientError as exc:
        status, code = _status(exc)
        if status == 403 or code in ("403", "AccessDenied"):
            raise DeployError(
                f"artifact bucket {name} exists but does not belong to account {account} (or this identity "
                "may not use it); the function's zip holds secrets, so it is never uploaded there: pass "
                "--artifact-bucket with a bucket of yours in us-east-1"
            ) from None
        if status != 404 and code not in ("404", "NoSuchBucket", "NotFound"):
            raise
        return False


def ensure_artifact_bucket(s3, name: str, region: str, account: str, progress: Progress) -> None:
    """Create the private bucket holding the function's zips, unless it is already ours.

    Every call names the expected owner: the default name is predictable, and someone who knows
    the account id could create it first (AWS's `rain` fixed the same in v1.18.0). S3 answers
    403 to any request whose ExpectedBucketOwner is not the bucket's owner.
    """
    owner = {"ExpectedBucketOwner": account}
    if not _owned(s3, name, account):
        progress.note(f"creating artifact bucket {name}")
        params = {"Bucket": name}
        if region != "us-east-1":
            params["CreateBucketConfiguration"] = {"LocationConstraint": region}
        try:
            s3.create_bucket(**params)
        except ClientError as create_exc:
            if _status(create_exc)[1] != "BucketAlreadyOwnedByYou":
                raise
        if not _owned(s3, name, account):  # taken in between by someone else: refused in _owned
            raise DeployError(f"artifact bucket {name} could not be created; pass --artifact-bucket")
    location = s3.get_bucket_location(Bucket=name, **owner).get("LocationConstraint") or "us-east-1"
    if location != region:
        raise DeployError(
            f"artifact bucket {name} is in {location}; CloudFormation reads the function's zip "
            f"from a bucket in {region}: pass --artifact-bucket with a bucket there"
        )
    s3.put_public_access_block(
        Bucket=name,
        **owner,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_encryption(
        Bucket=name,
        **owner,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": True}]
        },
    )
    s3.put_bucket_policy(Bucket=name, **owner, Policy=json.dumps(tls_only_policy(name)))
    s3.put_bucket_lifecycle_configuration(Bucket=name, **owner, LifecycleConfiguration=LIFECYCLE)


def upload_artifact(s3, bucket: str, key: str, data: bytes, account: str, progress: Progress) -> None:
    """Upload the zip unless the same content-addressed key is already there."""
    owner = {"ExpectedBucketOwner": account}
    try:
        s3.head_object(Bucket=bucket, Key=key, **owner)
        progress.note(f"s3://{bucket}/{key} already uploaded")
        refresh_artifact(s3, bucket, key, account)
        return
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NotFound"):
            raise
    s3.put_object(Bucket=bucket, Key=key, Body=data, ContentType="application/zip", **owner)
    progress.note(f"uploaded s3://{bucket}/{key} ({len(data)} bytes)")


def refresh_artifact(s3, bucket: str, key: str, account: str) -> bool:
    """Copy a zip onto itself so the lifecycle rule counts its age from now; False if it is gone."""
    try:
        s3.copy_object(
            Bucket=bucket,
            Key=key,
            CopySource={"Bucket": bucket, "Key": key},
            MetadataDirective="REPLACE",
            ContentType="application/zip",
            ExpectedBucketOwner=account,
            ExpectedSourceBucketOwner=account,
        )
        return True
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise


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


def upload_site(s3, bucket: str, site_dir: str, progress: Progress, account: str | None = None) -> int:
    files = site_files(site_dir)
    owner = {"ExpectedBucketOwner": account} if account else {}
    total = len(files)
    for done, (key, path) in enumerate(files, start=1):
        with open(path, "rb") as body:
            s3.put_object(
                Bucket=bucket,
                Key=key,
                Body=body.read(),
                ContentType=content_type(key),
                CacheControl=cache_control(key),
                **owner,
            )
        progress.count("uploaded", done, total)
    return total


def _all_keys(s3, bucket: str, owner: dict) -> list[str]:
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, **owner):
        keys += [o["Key"] for o in page.get("Contents") or []]
    return keys


def prune_site(
    s3,
    bucket: str,
    site_dir: str,
    progress: Progress,
    *,
    stale_since: dict[str, float],
    now: float,
    grace_days: float = STALE_GRACE_DAYS,
    account: str | None = None,
) -> dict[str, float]:
    """Delete what the new build no longer has: other files at once, hashed assets once they have
    been stale for `grace_days` (a page opened before the deploy may still ask for them).

    `stale_since` maps an asset key to when a deploy first found it stale; the updated map is
    returned for the caller to keep (deploy.py keeps it in the artifact bucket).
    """
    owner = {"ExpectedBucketOwner": account} if account else {}
    current = {key for key, _ in site_files(site_dir)}
    delete, keep = [], {}
    for key in _all_keys(s3, bucket, owner):
        if key in current:
            continue
        if not key.startswith(HASHED_DIR):
            delete.append(key)
            continue
        since = float(stale_since.get(key, now))
        if now - since >= grace_days * 86400:
            delete.append(key)
        else:
            keep[key] = since
    for start in range(0, len(delete), 1000):
        batch = delete[start : start + 1000]
        s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True}, **owner)
    if delete:
        progress.note(f"deleted {len(delete)} file(s) the new build no longer has")
    if keep:
        progress.note(f"keeping {len(keep)} old hashed asset(s) for open pages; deleted after {grace_days:g} days")
    return keep


def read_state(s3, bucket: str, key: str, account: str) -> dict:
    try:
        body = s3.get_object(Bucket=bucket, Key=key, ExpectedBucketOwner=account)["Body"].read()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return {}
        raise
    try:
        value = json.loads(body)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def write_state(s3, bucket: str, key: str, value: dict, account: str) -> None:
    s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=json.dumps(value, sort_keys=True).encode(),
        ContentType="application/json",
        ExpectedBucketOwner=account,
    )


def invalidate_all(cloudfront, distribution_id: str, progress: Progress) -> str:
    reply = cloudfront.create_invalidation(
        DistributionId=distribution_id,
        InvalidationBatch={"Paths": {"Quantity": 1, "Items": ["/*"]}, "CallerReference": f"deploy-{time.time_ns()}"},
    )
    invalidation_id = reply["Invalidation"]["Id"]
    progress.note(f"invalidation {invalidation_id} of /* started (takes a minute or two to reach every edge)")
    return invalidation_id
