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


# Everything deploy.py writes to the artifact bucket lives under this prefix, and only this
# prefix gets our lifecycle rule: the bucket may be the user's own (--artifact-bucket), holding
# objects that are none of our business.
ARTIFACT_PREFIX = "signin-gate/"
POLICY_SID = "SigninGateDenyPlainHttp"
LIFECYCLE_ID = "signin-gate-old-zips"
# What earlier versions of deploy.py put on the buckets they created (whole-bucket rule, its own
# Sid): recognised as ours, so a later run replaces them instead of stacking a second copy.
LEGACY_POLICY_SID = "DenyPlainHttp"
LEGACY_LIFECYCLE_ID = "old-gate-zips"
# S3's limits: 1,000 lifecycle rules per bucket, 20 KB of bucket policy (S3 user guide, "Setting
# lifecycle configuration" and "Bucket policy examples": "Bucket policies are limited to 20 KB").
MAX_LIFECYCLE_RULES = 1000
MAX_POLICY_BYTES = 20 * 1024
# Storage classes CloudFormation cannot read an object from without a restore first.
ARCHIVE_CLASSES = {"GLACIER", "DEEP_ARCHIVE"}


def artifact_key(stack: str, name: str) -> str:
    """Where a stack's zip (or its state file) goes in the artifact bucket."""
    return f"{ARTIFACT_PREFIX}{stack}/{name}"


def tls_statement(name: str) -> dict:
    return {
        "Sid": POLICY_SID,
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def tls_only_policy(name: str) -> dict:
    return {"Version": "2012-10-17", "Statement": [tls_statement(name)]}


def lifecycle_rule(legacy_prefix: bool = False) -> dict:
    """Our one lifecycle rule: zips under ARTIFACT_PREFIX that no deploy touched for 90 days.
    `legacy_prefix`: the rule in the old top-level `Prefix` form, for a configuration whose
    rules all use it (S3 refuses a configuration mixing `Prefix` and `Filter` rules)."""
    rule: dict = {"ID": LIFECYCLE_ID, "Status": "Enabled"}
    if legacy_prefix:
        rule["Prefix"] = ARTIFACT_PREFIX
    else:
        rule["Filter"] = {"Prefix": ARTIFACT_PREFIX}
    # deploy.py refreshes the zip a stack runs on before each update (refresh_artifact) and
    # restores it from the function when it is gone (restore_artifact), so a rollback finds it;
    # anything not touched for this long is an old build
    rule["Expiration"] = {"Days": ARTIFACT_EXPIRY_DAYS}
    rule["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": 1}
    return rule


LIFECYCLE = {"Rules": [lifecycle_rule()]}


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
    """Create the private bucket holding the function's zips, or make an existing one of this
    account's fit for them without taking anything away from what it already holds.

    Every call names the expected owner: the default name is predictable, and someone who knows
    the account id could create it first (AWS's `rain` fixed the same in v1.18.0). S3 answers
    403 to any request whose ExpectedBucketOwner is not the bucket's owner.

    A bucket we create gets Block Public Access, default encryption, the TLS-only policy and the
    lifecycle rule. An existing bucket (--artifact-bucket naming one of the user's, or ours from
    an earlier run) keeps its own settings: its policy gets our one Deny statement merged in, its
    lifecycle configuration our one rule (scoped to ARTIFACT_PREFIX) added, and it is refused,
    changed in nothing, where the zips would not be safe or could vanish under a rule of its own.
    """
    owner = {"ExpectedBucketOwner": account}
    created = False
    if not _owned(s3, name, account):
        progress.note(f"creating artifact bucket {name}")
        params = {"Bucket": name}
        if region != "us-east-1":
            params["CreateBucketConfiguration"] = {"LocationConstraint": region}
        try:
            s3.create_bucket(**params)
            created = True
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
    if not created:
        # Never change an existing bucket's public access block or encryption: it may serve a
        # public site or use the owner's KMS key. S3 encrypts every new object at rest anyway
        # (SSE-S3 by default since 5 January 2023, S3 user guide "Default encryption"); what
        # must hold is that nobody outside the account can read the zips.
        _refuse_public(s3, name, owner)
    # everything that may refuse is decided before the first write: a refusal changes nothing
    policy = merged_policy(_current_policy(s3, name, owner), name)
    lifecycle = merged_lifecycle(_current_lifecycle(s3, name, owner), name)
    if created:
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
    if policy is not None:
        s3.put_bucket_policy(Bucket=name, **owner, Policy=json.dumps(policy))
    if lifecycle is not None:
        rules, extra = lifecycle
        s3.put_bucket_lifecycle_configuration(Bucket=name, **owner, LifecycleConfiguration={"Rules": rules}, **extra)


def _error_code(exc: ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")


def _refuse_public(s3, name: str, owner: dict) -> None:
    """An existing bucket must block public access: the zips hold the app client's secret."""
    try:
        block = s3.get_public_access_block(Bucket=name, **owner)["PublicAccessBlockConfiguration"]
    except ClientError as exc:
        if _error_code(exc) != "NoSuchPublicAccessBlockConfiguration":
            raise
        block = {}
    keys = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
    if not all(block.get(k) for k in keys):
        raise DeployError(
            f"artifact bucket {name} does not block public access (S3 Block Public Access, all four settings); "
            "the function's zip holds secrets, so deploy.py neither uploads there nor changes the bucket: turn "
            "Block Public Access on for it, or pass --artifact-bucket with a private bucket (or leave it out)"
        )


def _current_policy(s3, name: str, owner: dict) -> dict | None:
    try:
        text = s3.get_bucket_policy(Bucket=name, **owner)["Policy"]
    except ClientError as exc:
        if _error_code(exc) == "NoSuchBucketPolicy":
            return None
        raise
    try:
        policy = json.loads(text)
    except ValueError:
        policy = None
    if not isinstance(policy, dict) or not isinstance(policy.get("Statement", []), (list, dict)):
        raise DeployError(
            f"artifact bucket {name}: its bucket policy cannot be read as a policy document, so ours cannot be "
            "merged into it; nothing was changed: pass --artifact-bucket with another bucket"
        )
    return policy


def _same_statement(a: dict, b: dict) -> bool:
    """Equal but for the Sid (and the order of Resource)."""

    def norm(statement: dict) -> str:
        statement = {k: v for k, v in statement.items() if k != "Sid"}
        if isinstance(statement.get("Resource"), list):
            statement["Resource"] = sorted(statement["Resource"])
        return json.dumps(statement, sort_keys=True)

    return norm(a) == norm(b)


def merged_policy(current: dict | None, name: str) -> dict | None:
    """The bucket policy with our TLS-only Deny in it and every other statement kept as it was;
    None when nothing needs to change. A Deny statement can only take access away, so adding it
    never opens the bucket; it is refused only where the result would pass S3's 20 KB limit."""
    ours = tls_statement(name)
    if current is None:
        return tls_only_policy(name)
    statements = current.get("Statement", [])
    statements = [statements] if isinstance(statements, dict) else list(statements)

    def mine(statement) -> bool:
        sid = statement.get("Sid") if isinstance(statement, dict) else None
        return sid == POLICY_SID or (sid == LEGACY_POLICY_SID and _same_statement(statement, ours))

    wanted = [*(s for s in statements if not mine(s)), ours]
    if wanted == statements:
        return None
    policy = {**current, "Statement": wanted}
    if len(json.dumps(policy)) > MAX_POLICY_BYTES:
        raise DeployError(
            f"artifact bucket {name}: adding the TLS-only statement would pass S3's 20 KB bucket policy limit; "
            "nothing was changed: pass --artifact-bucket with another bucket"
        )
    return policy


def _current_lifecycle(s3, name: str, owner: dict) -> dict | None:
    try:
        reply = s3.get_bucket_lifecycle_configuration(Bucket=name, **owner)
    except ClientError as exc:
        if _error_code(exc) == "NoSuchLifecycleConfiguration":
            return None
        raise
    return reply


def _rule_prefix(rule: dict) -> str | None:
    """The key prefix a rule applies to, or None when it only applies to tagged objects (ours
    carry no tags, so such a rule never touches them)."""
    if "Prefix" in rule:
        return rule["Prefix"] or ""
    filter_ = rule.get("Filter") or {}
    if "Tag" in filter_:
        return None
    if "And" in filter_:
        if filter_["And"].get("Tags"):
            return None
        return filter_["And"].get("Prefix") or ""
    return filter_.get("Prefix") or ""


def _covers_ours(prefix: str | None) -> bool:
    """Whether a rule with this prefix can apply to a key under ARTIFACT_PREFIX."""
    return prefix is not None and (ARTIFACT_PREFIX.startswith(prefix) or prefix.startswith(ARTIFACT_PREFIX))


def _is_ours(rule: dict) -> bool:
    if rule.get("ID") == LIFECYCLE_ID:
        return True
    # the whole-bucket rule earlier versions put on the buckets they created
    legacy = {
        "ID": LEGACY_LIFECYCLE_ID,
        "Status": "Enabled",
        "Filter": {"Prefix": ""},
        "Expiration": {"Days": ARTIFACT_EXPIRY_DAYS},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
    }
    return rule == legacy


def merged_lifecycle(current: dict | None, name: str) -> tuple[list[dict], dict] | None:
    """(rules, extra put arguments) with our rule added and every other rule kept, or None when
    nothing needs to change. Refused (DeployError, nothing changed) where a rule of the owner's
    would expire our zips sooner than a deploy refreshes them or move them to an archive class
    CloudFormation cannot read from: a later rollback would then find no code."""
    rules = list((current or {}).get("Rules") or [])
    theirs = [r for r in rules if not _is_ours(r)]
    for rule in theirs:
        if rule.get("Status") != "Enabled" or not _covers_ours(_rule_prefix(rule)):
            continue
        days = (rule.get("Expiration") or {}).get("Days")
        dated = (rule.get("Expiration") or {}).get("Date")
        archived = [t for t in rule.get("Transitions") or [] if t.get("StorageClass") in ARCHIVE_CLASSES]
        if (days is not None and days < ARTIFACT_EXPIRY_DAYS) or dated or archived:
            what = (
                f"moves objects to {archived[0]['StorageClass']}"
                if archived
                else ("expires objects on a date" if dated else f"expires objects after {days} days")
            )
            raise DeployError(
                f"artifact bucket {name}: its lifecycle rule {rule.get('ID', '(no ID)')!r} {what} under "
                f"{ARTIFACT_PREFIX}, where deploy.py keeps the zip a stack runs on (a rollback needs it); nothing "
                f"was changed: exclude {ARTIFACT_PREFIX} from that rule, or pass --artifact-bucket with another bucket"
            )
    legacy = bool(theirs) and all("Prefix" in r and "Filter" not in r for r in theirs)
    ours = lifecycle_rule(legacy_prefix=legacy)
    if any("Prefix" in r and "Filter" not in r for r in theirs) and not legacy:
        raise DeployError(
            f"artifact bucket {name}: its lifecycle configuration mixes rule forms S3 no longer accepts together "
            "(top-level Prefix and Filter); nothing was changed: pass --artifact-bucket with another bucket"
        )
    new_rules = [*theirs, ours]
    if new_rules == rules:
        return None
    if len(new_rules) > MAX_LIFECYCLE_RULES:
        raise DeployError(
            f"artifact bucket {name} already has {len(theirs)} lifecycle rules, S3's limit; nothing was changed: "
            "pass --artifact-bucket with another bucket"
        )
    extra = {}
    if current and current.get("TransitionDefaultMinimumObjectSize"):
        # GET reports it beside the rules; PUT takes it as its own argument, and leaving it out
        # would reset the owner's choice to S3's default
        extra["TransitionDefaultMinimumObjectSize"] = current["TransitionDefaultMinimumObjectSize"]
    return new_rules, extra


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


def _download(url: str, timeout: float = 60.0) -> bytes:
    import urllib.request

    with urllib.request.urlopen(url, timeout=timeout) as reply:
        return reply.read()


def restore_artifact(
    lambda_,
    s3,
    bucket: str,
    key: str,
    code_sha256: str,
    function: str,
    account: str,
    progress: Progress,
    download=_download,
) -> None:
    """Put back the zip a stack runs on when the lifecycle rule has deleted it (no deploy for 90
    days): a failed update rolls the function back to exactly that S3 object, and CloudFormation
    stops in UPDATE_ROLLBACK_FAILED when it is gone. Lambda still has the code: GetFunction gives
    a presigned URL of the deployment package ("Code.Location", valid for 10 minutes: Lambda API
    reference, GetFunction), which is downloaded, checked against the stack's CodeSha256 and
    uploaded to the same key. Refused with the manual steps when any of that fails."""
    manual = (
        f"the zip the stack's function runs on, s3://{bucket}/{key}, is gone (the artifact bucket's lifecycle rule "
        "deletes zips no deploy touched for 90 days) and a failed update could not roll back without it"
    )
    try:
        reply = lambda_.get_function(FunctionName=function)
        location = reply["Code"]["Location"]
        current = reply["Configuration"]["CodeSha256"]
    except (ClientError, KeyError) as exc:
        raise DeployError(f"{manual}; reading the function's code failed ({exc})") from None
    if current != code_sha256:
        raise DeployError(
            f"{manual}; the function {function} runs other code ({current}) than the stack records ({code_sha256}): "
            "check the stack in the console before deploying again"
        )
    try:
        data = download(location)
    except OSError as exc:
        raise DeployError(
            f"{manual}; downloading it from Lambda failed ({exc}): put it back with "
            f"aws lambda get-function --function-name {function} --query Code.Location (download that URL) and "
            f"aws s3 cp <file> s3://{bucket}/{key}, then run this again"
        ) from None
    import base64
    import hashlib

    if base64.b64encode(hashlib.sha256(data).digest()).decode() != code_sha256:
        raise DeployError(f"{manual}; the copy downloaded from Lambda does not have the stack's CodeSha256")
    s3.put_object(Bucket=bucket, Key=key, Body=data, ContentType="application/zip", ExpectedBucketOwner=account)
    progress.warn(
        f"s3://{bucket}/{key} (the code the stack runs) had expired; restored it from the function so a "
        "rollback can find it"
    )


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
