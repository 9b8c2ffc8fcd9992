"""Uploads against moto S3: site files with content types and cache headers, the artifact bucket."""

from __future__ import annotations

import boto3
import pytest

from gatebuild.deploy.errors import DeployError
from gatebuild.deploy.upload import (
    IMMUTABLE,
    NO_CACHE,
    artifact_bucket_name,
    cache_control,
    content_type,
    ensure_artifact_bucket,
    invalidate_all,
    site_files,
    upload_artifact,
    upload_site,
)


@pytest.mark.parametrize("name,expected", [
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
])
def test_content_types(name, expected):
    assert content_type(name) == expected


def test_cache_control():
    assert cache_control("assets/index-Ab12Cd34.js") == "public, max-age=31536000, immutable"
    assert cache_control("index.html") == "no-cache"
    assert cache_control("favicon.svg") == "no-cache"
    assert cache_control("admin/index.html") == "no-cache"


def test_site_files_order_puts_index_last_and_skips_dotfiles(site_dir):
    keys = [key for key, _ in site_files(site_dir)]
    assert ".DS_Store" not in keys
    assert keys[-1] == "index.html"
    assert all(k.startswith("assets/") for k in keys[:4])
    assert keys.index("admin/index.html") > keys.index("favicon.svg")


def test_site_without_index_html_is_refused(tmp_path):
    with pytest.raises(DeployError, match="index.html not found.*npm run build"):
        site_files(str(tmp_path))


def test_upload_site(moto_aws, site_dir, quiet_progress):
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="site")
    assert upload_site(s3, "site", site_dir, quiet_progress) == 9
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="site")["Contents"])
    assert keys == ["admin/index.html", "assets/font-Ff22.woff2", "assets/index-Ab12Cd34.js",
                    "assets/index-Zz99Yy88.css", "assets/logo-Qq11.svg", "favicon.svg", "index.html",
                    "manifest.webmanifest", "robots.txt"]
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


def test_artifact_bucket_is_created_private_and_encrypted(moto_aws, quiet_progress):
    s3 = boto3.client("s3", region_name="us-east-1")
    name = artifact_bucket_name("123456789012", "us-east-1")
    assert name == "gate-artifacts-123456789012-us-east-1"
    ensure_artifact_bucket(s3, name, "us-east-1", quiet_progress)
    block = s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    rules = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    ensure_artifact_bucket(s3, name, "us-east-1", quiet_progress)      # second time: already ours
    assert quiet_progress.out.getvalue().count("creating artifact bucket") == 1


def test_upload_artifact_once(moto_aws, quiet_progress):
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="art")
    upload_artifact(s3, "art", "stack/gate-abc.zip", b"PK-zip", quiet_progress)
    upload_artifact(s3, "art", "stack/gate-abc.zip", b"PK-zip", quiet_progress)
    assert s3.get_object(Bucket="art", Key="stack/gate-abc.zip")["Body"].read() == b"PK-zip"
    assert "already uploaded" in quiet_progress.out.getvalue()


def test_invalidation(moto_aws, quiet_progress):
    cloudfront = boto3.client("cloudfront", region_name="us-east-1")
    distribution = cloudfront.create_distribution(DistributionConfig={
        "CallerReference": "t", "Comment": "", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": "b.s3.us-east-1.amazonaws.com",
                                               "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "redirect-to-https",
                                 "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"},
    })["Distribution"]["Id"]
    invalidation = invalidate_all(cloudfront, distribution, quiet_progress)
    batch = cloudfront.get_invalidation(DistributionId=distribution, Id=invalidation)["Invalidation"]["InvalidationBatch"]
    assert batch["Paths"]["Items"] == ["/*"]
