"""The emulator's S3 origin model: "+" in a path is a space, and the bucket root is a listing.

S3 reads a literal "+" in a request path as a space, and "%2B" as a plus (servo/rust-url#882,
sveltejs/kit#6451, eclipse-openvsx/openvsx#2011). With s3:ListBucket granted to the origin access
control (cloudformation.yaml), "GET /" on the bucket is ListObjects: every key's name. The gate
forwards "+" as "%2B" and never forwards "/" (issue 11, items 1 and 8).
"""

from __future__ import annotations

from local import emulator as em


def make_bucket(tmp_path):
    (tmp_path / "a b.txt").write_text("space")
    (tmp_path / "a+b.txt").write_text("plus")
    (tmp_path / "index.html").write_text("<p>index</p>")
    (tmp_path / "admin").mkdir()
    (tmp_path / "admin" / "secret.html").write_text("secret")
    return em.S3Origin(str(tmp_path))


def test_a_literal_plus_is_a_space_and_percent_2b_a_plus(tmp_path):
    bucket = make_bucket(tmp_path)
    assert bucket.get("/a+b.txt").body == b"space"
    assert bucket.get("/a%20b.txt").body == b"space"
    assert bucket.get("/a%2Bb.txt").body == b"plus"


def test_the_bucket_root_is_a_listing_of_every_key(tmp_path):
    reply = make_bucket(tmp_path).get("/")
    assert reply.status == 200 and b"<ListBucketResult" in reply.body
    assert b"<Key>admin/secret.html</Key>" in reply.body


def test_the_index_object_is_an_object(tmp_path):
    reply = make_bucket(tmp_path).get("/index.html")
    assert reply.status == 200 and reply.body == b"<p>index</p>"
