"""Uploads against moto S3: site files with content types and cache headers, the artifact bucket."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.stub import Stubber

from gatebuild.deploy.errors import DeployError
from gatebuild.deploy.upload import (
    IMMUTABLE,
    NO_CACHE,
    artifact_bucket_name,
    cache_control,
    content_type,
    ensure_artifact_bucket,
    invalidate_all,
    prune_site,
    site_files,
    upload_artifact,
    upload_site,
)


@pytest.mark.parametrize(
    "name,expected",
    [
        ("index.html", "text/html; charset=utf-8"),
        ("assets/index-Ab12.js", "text/javascript; charset=utf-8"),
        ("assets/index-Ab12.mjs", "text/javascript; charset=utf-8"),
        ("assets/index-Ab12.css", "text/css; charset=utf-8"),
        ("favicon.svg", "image/svg+xml; charset=utf-8"),
        ("assets/font-x.woff2", "font/woff2"),
        ("manifest.webmanifest", "application/manifest+json; charset=utf-8"),
        ("data.json", "application/json; charset=utf-8"),
        ("robots.txt", "text/plain; charset=utf-8"),
        ("assets/a.png", "image/png"),
        ("favicon.ico", "image/x-icon"),
        ("blob.unknownext", "application/octet-stream"),
    ],
)
def test_content_types(name, expected):
    assert content_type(name) == expected


def test_cache_control_keeps_gated_content_out_of_shared_caches():
    """Behind the gate: `private` for every file (no shared cache between CloudFront and the
    browser may store it); the stack's cache policies' MinTTL > 0 still lets CloudFront cache."""
    assert cache_control("assets/index-Ab12Cd34.js") == "private, max-age=31536000, immutable"
    for key in ("index.html", "favicon.svg", "admin/index.html"):
        assert cache_control(key) == "private, no-cache"
    for key in ("assets/x.js", "index.html"):
        assert "public" not in cache_control(key) and "private" in cache_control(key)


def test_site_files_order_puts_index_last_and_skips_dotfiles(site_dir):
    keys = [key for key, _ in site_files(site_dir)]
    assert ".DS_Store" not in keys
    assert keys[-1] == "index.html"
    assert all(k.startswith("assets/") for k in keys[:4])
    assert keys.index("admin/index.html") > keys.index("favicon.svg")


def test_site_without_index_html_is_refused(tmp_path):
    with pytest.raises(DeployError, match=r"index.html not found.*npm run build"):
        site_files(str(tmp_path))


def test_upload_site(moto_aws, site_dir, quiet_progress):
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="site")
    assert upload_site(s3, "site", site_dir, quiet_progress) == 9
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="site")["Contents"])
    assert keys == [
        "admin/index.html",
        "assets/font-Ff22.woff2",
        "assets/index-Ab12Cd34.js",
        "assets/index-Zz99Yy88.css",
        "assets/logo-Qq11.svg",
        "favicon.svg",
        "index.html",
        "manifest.webmanifest",
        "robots.txt",
    ]
    head = s3.head_object(Bucket="site", Key="assets/index-Ab12Cd34.js")
    assert head["ContentType"] == "text/javascript; charset=utf-8"
    assert head["CacheControl"] == IMMUTABLE
    head = s3.head_object(Bucket="site", Key="index.html")
    assert head["ContentType"] == "text/html; charset=utf-8"
    assert head["CacheControl"] == NO_CACHE
    assert s3.head_object(Bucket="site", Key="favicon.svg")["CacheControl"] == NO_CACHE
    assert s3.head_object(Bucket="site", Key="assets/font-Ff22.woff2")["ContentType"] == "font/woff2"
    body = s3.get_object(Bucket="site", Key="index.html")["Body"].read()
    assert body.startswith(b"<!doctype html>")
    assert "uploaded 9/9" in quiet_progress.out.getvalue()


ACCOUNT = "123456789012"


def test_artifact_bucket_is_created_private_encrypted_tls_only_with_lifecycle(moto_aws, quiet_progress):
    s3 = boto3.client("s3", region_name="us-east-1")
    name = artifact_bucket_name(ACCOUNT, "us-east-1")
    assert name == "gate-artifacts-123456789012-us-east-1"
    ensure_artifact_bucket(s3, name, "us-east-1", ACCOUNT, quiet_progress)
    block = s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    rules = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    (deny,) = json.loads(s3.get_bucket_policy(Bucket=name)["Policy"])["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert f"arn:aws:s3:::{name}/*" in deny["Resource"]
    (rule,) = s3.get_bucket_lifecycle_configuration(Bucket=name)["Rules"]
    assert rule["Status"] == "Enabled" and rule["Expiration"]["Days"] >= 30
    ensure_artifact_bucket(s3, name, "us-east-1", ACCOUNT, quiet_progress)  # second time: already ours
    assert quiet_progress.out.getvalue().count("creating artifact bucket") == 1


def _stubbed_s3():
    s3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    return s3, Stubber(s3)


def test_artifact_bucket_of_another_account_is_refused_before_any_upload(quiet_progress):
    """Someone created gate-artifacts-<our account>-us-east-1 first. S3 answers 403 Access Denied
    to any request whose ExpectedBucketOwner is not the bucket's owner ("Verifying bucket
    ownership with bucket owner condition", S3 user guide); nothing is ever written there."""
    s3, stub = _stubbed_s3()
    name = artifact_bucket_name(ACCOUNT, "us-east-1")
    stub.add_client_error(
        "head_bucket",
        service_error_code="403",
        service_message="Forbidden",
        http_status_code=403,
        expected_params={"Bucket": name, "ExpectedBucketOwner": ACCOUNT},
    )
    with stub, pytest.raises(DeployError, match=r"does not belong to account 123456789012.*--artifact-bucket"):
        ensure_artifact_bucket(s3, name, "us-east-1", ACCOUNT, quiet_progress)
    stub.assert_no_pending_responses()


def test_artifact_bucket_taken_between_check_and_create_is_refused(quiet_progress):
    """404, then someone else creates it: create_bucket in us-east-1 answers 200 even for an
    existing bucket only to its owner (BucketAlreadyOwnedByYou); for a stranger's bucket the
    owner-checked head_bucket afterwards answers 403."""
    s3, stub = _stubbed_s3()
    name = "gate-artifacts-x"
    stub.add_client_error("head_bucket", service_error_code="404", service_message="Not Found", http_status_code=404)
    stub.add_response("create_bucket", {}, {"Bucket": name})
    stub.add_client_error(
        "head_bucket",
        service_error_code="403",
        service_message="Forbidden",
        http_status_code=403,
        expected_params={"Bucket": name, "ExpectedBucketOwner": ACCOUNT},
    )
    with stub, pytest.raises(DeployError, match="does not belong"):
        ensure_artifact_bucket(s3, name, "us-east-1", ACCOUNT, quiet_progress)


def test_artifact_bucket_in_another_region_is_refused(quiet_progress):
    """GetBucketLocation answers the region's LocationConstraint (null for us-east-1; S3 API reference)."""
    s3, stub = _stubbed_s3()
    stub.add_response("head_bucket", {}, {"Bucket": "mine", "ExpectedBucketOwner": ACCOUNT})
    stub.add_response(
        "get_bucket_location", {"LocationConstraint": "eu-west-1"}, {"Bucket": "mine", "ExpectedBucketOwner": ACCOUNT}
    )
    with stub, pytest.raises(DeployError, match="is in eu-west-1"):
        ensure_artifact_bucket(s3, "mine", "us-east-1", ACCOUNT, quiet_progress)


def test_artifact_bucket_other_errors_are_not_swallowed(quiet_progress):
    from botocore.exceptions import ClientError

    s3, stub = _stubbed_s3()
    stub.add_client_error("head_bucket", service_error_code="500", service_message="Internal", http_status_code=500)
    with stub, pytest.raises(ClientError):
        ensure_artifact_bucket(s3, "mine", "us-east-1", ACCOUNT, quiet_progress)


def test_every_artifact_call_names_the_expected_owner(quiet_progress):
    s3, stub = _stubbed_s3()
    owner = {"ExpectedBucketOwner": ACCOUNT}
    stub.add_client_error(
        "head_object",
        service_error_code="404",
        service_message="Not Found",
        http_status_code=404,
        expected_params={"Bucket": "b", "Key": "k.zip", **owner},
    )
    stub.add_response(
        "put_object", {}, {"Bucket": "b", "Key": "k.zip", "Body": b"zip", "ContentType": "application/zip", **owner}
    )
    with stub:
        upload_artifact(s3, "b", "k.zip", b"zip", ACCOUNT, quiet_progress)
    stub.assert_no_pending_responses()


def test_upload_artifact_once(moto_aws, quiet_progress):
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="art")
    upload_artifact(s3, "art", "stack/gate-abc.zip", b"PK-zip", ACCOUNT, quiet_progress)
    upload_artifact(s3, "art", "stack/gate-abc.zip", b"PK-zip", ACCOUNT, quiet_progress)
    assert s3.get_object(Bucket="art", Key="stack/gate-abc.zip")["Body"].read() == b"PK-zip"
    assert "already uploaded" in quiet_progress.out.getvalue()


def test_invalidation(moto_aws, quiet_progress):
    cloudfront = boto3.client("cloudfront", region_name="us-east-1")
    distribution = cloudfront.create_distribution(
        DistributionConfig={
            "CallerReference": "t",
            "Comment": "",
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "o",
                        "DomainName": "b.s3.us-east-1.amazonaws.com",
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                    }
                ],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": "o",
                "ViewerProtocolPolicy": "redirect-to-https",
                "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
            },
        }
    )["Distribution"]["Id"]
    invalidation = invalidate_all(cloudfront, distribution, quiet_progress)
    batch = cloudfront.get_invalidation(DistributionId=distribution, Id=invalidation)["Invalidation"][
        "InvalidationBatch"
    ]
    assert batch["Paths"]["Items"] == ["/*"]


def test_prune_site_deletes_stale_files_and_old_assets_after_the_grace_period(moto_aws, site_dir, quiet_progress):
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="site")
    upload_site(s3, "site", site_dir, quiet_progress)
    for key in ("old-page.html", "assets/index-OLD11111.js", "assets/index-OLD22222.js"):
        s3.put_object(Bucket="site", Key=key, Body=b"old")
    day = 86400
    t0 = 1_800_000_000
    # first deploy that finds them stale: the page goes, the hashed assets stay (open tabs)
    stale = prune_site(
        s3,
        "site",
        site_dir,
        quiet_progress,
        stale_since={"assets/index-OLD22222.js": t0 - 8 * day},
        now=t0,
        grace_days=7,
    )
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="site")["Contents"]}
    assert "old-page.html" not in keys
    assert "assets/index-OLD11111.js" in keys
    assert "assets/index-OLD22222.js" not in keys  # stale for 8 days already
    assert stale == {"assets/index-OLD11111.js": t0}
    assert "index.html" in keys and "assets/index-Ab12Cd34.js" in keys  # the build itself stays
    # six days later: still kept; eight days later: gone
    assert prune_site(s3, "site", site_dir, quiet_progress, stale_since=stale, now=t0 + 6 * day) == stale
    assert prune_site(s3, "site", site_dir, quiet_progress, stale_since=stale, now=t0 + 8 * day) == {}
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="site")["Contents"]}
    assert keys == {k for k, _ in site_files(site_dir)}
