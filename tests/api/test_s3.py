"""S3 over HTTP with boto3: buckets, objects, ranges, conditions, copy, listings, errors."""

from __future__ import annotations

import base64
import hashlib
import zlib
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from tests.api.conftest import make_client


def code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_buckets(s3) -> None:
    s3.create_bucket(Bucket="bkt-buckets")
    assert "bkt-buckets" in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    s3.head_bucket(Bucket="bkt-buckets")
    assert s3.get_bucket_location(Bucket="bkt-buckets")["LocationConstraint"] is None  # us-east-1
    with pytest.raises(ClientError) as exc:
        s3.create_bucket(Bucket="bkt-buckets")
    assert code(exc) == "BucketAlreadyOwnedByYou"
    s3.put_object(Bucket="bkt-buckets", Key="x/y", Body=b"1")
    with pytest.raises(ClientError) as exc:
        s3.delete_bucket(Bucket="bkt-buckets")
    assert code(exc) == "BucketNotEmpty"
    s3.delete_object(Bucket="bkt-buckets", Key="x/y")
    s3.delete_bucket(Bucket="bkt-buckets")
    with pytest.raises(ClientError) as exc:
        s3.head_bucket(Bucket="bkt-buckets")
    assert code(exc) == "404"
    with pytest.raises(ClientError) as exc:
        s3.list_objects_v2(Bucket="bkt-buckets")
    assert code(exc) == "NoSuchBucket"
    with pytest.raises(ClientError) as exc:
        s3.create_bucket(Bucket="Bad_Name")
    assert code(exc) == "InvalidBucketName"


def test_expected_bucket_owner_is_the_workspace_account(s3) -> None:
    """The SageMaker SDK passes ExpectedBucketOwner for a bucket it derived (anti-squatting):
    the local account passes, another gets S3's 403."""
    s3.create_bucket(Bucket="bkt-owner")
    s3.head_bucket(Bucket="bkt-owner", ExpectedBucketOwner="123456789012")
    s3.put_object(Bucket="bkt-owner", Key="k", Body=b"v", ExpectedBucketOwner="123456789012")
    with pytest.raises(ClientError) as exc:
        s3.head_bucket(Bucket="bkt-owner", ExpectedBucketOwner="111122223333")
    assert code(exc) == "403"  # HEAD: no body, so botocore reports the status
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket="bkt-owner", Key="k", ExpectedBucketOwner="111122223333")
    assert code(exc) == "AccessDenied"
    with pytest.raises(ClientError) as exc:
        s3.copy_object(Bucket="bkt-owner", Key="k2", CopySource="bkt-owner/k",
                       ExpectedSourceBucketOwner="111122223333")
    assert code(exc) == "AccessDenied"


def test_put_get_keeps_metadata_in_the_tree(s3, api) -> None:
    rt, _ = api
    s3.create_bucket(Bucket="bkt-meta")
    body = b"hello, world"
    put = s3.put_object(Bucket="bkt-meta", Key="dir/a b+c€.txt", Body=body, ContentType="text/csv",
                        Metadata={"Owner": "me"}, CacheControl="no-cache")
    assert put["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    got = s3.get_object(Bucket="bkt-meta", Key="dir/a b+c€.txt", ChecksumMode="ENABLED")
    assert got["Body"].read() == body
    assert (got["ContentType"], got["Metadata"], got["CacheControl"]) == ("text/csv", {"owner": "me"}, "no-cache")
    # botocore sent the body aws-chunked with a CRC32 trailer; the server checked and kept it
    assert got["ChecksumCRC32"] == base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()
    # the object is a plain file at s3/<bucket>/<key>, which jobs and the engine read
    assert (rt.workspace.s3_root / "bkt-meta" / "dir" / "a b+c€.txt").read_bytes() == body
    head = s3.head_object(Bucket="bkt-meta", Key="dir/a b+c€.txt")
    assert head["ContentLength"] == len(body) and head["Metadata"] == {"owner": "me"}
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket="bkt-meta", Key="missing")
    assert code(exc) == "NoSuchKey"
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket="bkt-meta", Key="missing")
    assert code(exc) == "404"


def test_ranges(s3) -> None:
    s3.create_bucket(Bucket="bkt-range")
    s3.put_object(Bucket="bkt-range", Key="k", Body=b"0123456789")
    cases = {"bytes=2-4": b"234", "bytes=-3": b"789", "bytes=7-": b"789", "bytes=8-100": b"89"}
    for spec, want in cases.items():
        got = s3.get_object(Bucket="bkt-range", Key="k", Range=spec)
        assert got["Body"].read() == want, spec
        assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert s3.get_object(Bucket="bkt-range", Key="k", Range="bytes=2-4")["ContentRange"] == "bytes 2-4/10"
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket="bkt-range", Key="k", Range="bytes=10-")
    assert code(exc) == "InvalidRange"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 416


def test_conditional_requests(s3) -> None:
    s3.create_bucket(Bucket="bkt-cond")
    etag = s3.put_object(Bucket="bkt-cond", Key="k", Body=b"v1")["ETag"]
    s3.get_object(Bucket="bkt-cond", Key="k", IfMatch=etag)
    past, future = datetime.now(UTC) - timedelta(days=1), datetime.now(UTC) + timedelta(days=1)
    failures = [
        ({"IfMatch": '"nope"'}, "PreconditionFailed"), ({"IfNoneMatch": etag}, "304"),
        ({"IfModifiedSince": future}, "304"), ({"IfUnmodifiedSince": past}, "PreconditionFailed"),
    ]
    for kwargs, want in failures:
        with pytest.raises(ClientError) as exc:
            s3.get_object(Bucket="bkt-cond", Key="k", **kwargs)
        assert code(exc) == want, kwargs
    assert s3.get_object(Bucket="bkt-cond", Key="k", IfModifiedSince=past)["Body"].read() == b"v1"
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket="bkt-cond", Key="k", Body=b"v2", IfNoneMatch="*")
    assert code(exc) == "PreconditionFailed"
    s3.put_object(Bucket="bkt-cond", Key="k", Body=b"v2", IfMatch=etag)
    assert s3.get_object(Bucket="bkt-cond", Key="k")["Body"].read() == b"v2"


def test_copy_and_delete_many(s3) -> None:
    s3.create_bucket(Bucket="bkt-copy")
    s3.put_object(Bucket="bkt-copy", Key="src", Body=b"data", ContentType="text/plain", Metadata={"a": "1"})
    s3.copy_object(Bucket="bkt-copy", Key="kept", CopySource={"Bucket": "bkt-copy", "Key": "src"})
    kept = s3.head_object(Bucket="bkt-copy", Key="kept")
    assert (kept["ContentType"], kept["Metadata"]) == ("text/plain", {"a": "1"})
    s3.copy_object(Bucket="bkt-copy", Key="new", CopySource="bkt-copy/src", MetadataDirective="REPLACE",
                   ContentType="application/json", Metadata={"b": "2"})
    new = s3.get_object(Bucket="bkt-copy", Key="new")
    assert (new["Body"].read(), new["ContentType"], new["Metadata"]) == (b"data", "application/json", {"b": "2"})
    with pytest.raises(ClientError) as exc:
        s3.copy_object(Bucket="bkt-copy", Key="x", CopySource="bkt-copy/absent")
    assert code(exc) == "NoSuchKey"
    out = s3.delete_objects(Bucket="bkt-copy", Delete={"Objects": [{"Key": k} for k in ("src", "kept", "new")]})
    assert sorted(d["Key"] for d in out["Deleted"]) == ["kept", "new", "src"]
    assert s3.list_objects_v2(Bucket="bkt-copy")["KeyCount"] == 0


def test_listings(s3) -> None:
    s3.create_bucket(Bucket="bkt-list")
    keys = ["a/1", "a/2", "a/b/3", "b/4", "c", "d e/5", "é/6"]
    for key in keys:
        s3.put_object(Bucket="bkt-list", Key=key, Body=key.encode())
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket="bkt-list", PaginationConfig={"PageSize": 2})
    assert [o["Key"] for page in pages for o in page.get("Contents", [])] == sorted(keys)
    top = s3.list_objects_v2(Bucket="bkt-list", Delimiter="/")
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["a/", "b/", "d e/", "é/"]
    assert [o["Key"] for o in top["Contents"]] == ["c"]
    sub = s3.list_objects_v2(Bucket="bkt-list", Prefix="a/", Delimiter="/")
    assert [o["Key"] for o in sub["Contents"]] == ["a/1", "a/2"]
    assert sub["CommonPrefixes"] == [{"Prefix": "a/b/"}]
    first = s3.list_objects_v2(Bucket="bkt-list", Delimiter="/", MaxKeys=2)
    assert first["IsTruncated"] and first["KeyCount"] == 2
    rest = s3.list_objects_v2(Bucket="bkt-list", Delimiter="/", ContinuationToken=first["NextContinuationToken"])
    names = [p["Prefix"] for p in rest.get("CommonPrefixes", [])] + [o["Key"] for o in rest.get("Contents", [])]
    assert sorted(names) == ["c", "d e/", "é/"]
    after = s3.list_objects_v2(Bucket="bkt-list", StartAfter="b/4")
    assert [o["Key"] for o in after["Contents"]] == ["c", "d e/5", "é/6"]
    v1 = s3.get_paginator("list_objects").paginate(Bucket="bkt-list", PaginationConfig={"PageSize": 3})
    assert [o["Key"] for page in v1 for o in page.get("Contents", [])] == sorted(keys)
    v1d = s3.get_paginator("list_objects").paginate(Bucket="bkt-list", Delimiter="/", PaginationConfig={"PageSize": 2})
    prefixes = [p["Prefix"] for page in v1d for p in page.get("CommonPrefixes", [])]
    assert prefixes == ["a/", "b/", "d e/", "é/"]


def test_multipart(s3, api) -> None:
    s3.create_bucket(Bucket="bkt-mp")
    part1, part2 = b"a" * (5 << 20), b"tail"
    up = s3.create_multipart_upload(Bucket="bkt-mp", Key="big", ContentType="application/x-big",
                                    Metadata={"m": "1"})
    uid = up["UploadId"]
    e1 = s3.upload_part(Bucket="bkt-mp", Key="big", UploadId=uid, PartNumber=1, Body=part1)["ETag"]
    e2 = s3.upload_part(Bucket="bkt-mp", Key="big", UploadId=uid, PartNumber=2, Body=part2)["ETag"]
    assert [u["UploadId"] for u in s3.list_multipart_uploads(Bucket="bkt-mp")["Uploads"]] == [uid]
    listed = s3.list_parts(Bucket="bkt-mp", Key="big", UploadId=uid)["Parts"]
    assert [(p["PartNumber"], p["Size"]) for p in listed] == [(1, len(part1)), (2, len(part2))]
    with pytest.raises(ClientError) as exc:
        s3.complete_multipart_upload(Bucket="bkt-mp", Key="big", UploadId=uid, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": '"bad"'}, {"PartNumber": 2, "ETag": e2}]})
    assert code(exc) == "InvalidPart"
    done = s3.complete_multipart_upload(Bucket="bkt-mp", Key="big", UploadId=uid, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
    md5s = hashlib.md5(part1).digest() + hashlib.md5(part2).digest()
    assert done["ETag"] == f'"{hashlib.md5(md5s).hexdigest()}-2"'
    got = s3.get_object(Bucket="bkt-mp", Key="big")
    assert got["Body"].read() == part1 + part2
    assert (got["ContentType"], got["Metadata"], got["ETag"]) == ("application/x-big", {"m": "1"}, done["ETag"])
    with pytest.raises(ClientError) as exc:
        s3.list_parts(Bucket="bkt-mp", Key="big", UploadId=uid)
    assert code(exc) == "NoSuchUpload"
    # too-small parts, and abort
    uid = s3.create_multipart_upload(Bucket="bkt-mp", Key="small")["UploadId"]
    e1 = s3.upload_part(Bucket="bkt-mp", Key="small", UploadId=uid, PartNumber=1, Body=b"x")["ETag"]
    e2 = s3.upload_part(Bucket="bkt-mp", Key="small", UploadId=uid, PartNumber=2, Body=b"y")["ETag"]
    with pytest.raises(ClientError) as exc:
        s3.complete_multipart_upload(Bucket="bkt-mp", Key="small", UploadId=uid, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
    assert code(exc) == "EntityTooSmall"
    s3.abort_multipart_upload(Bucket="bkt-mp", Key="small", UploadId=uid)
    with pytest.raises(ClientError) as exc:
        s3.abort_multipart_upload(Bucket="bkt-mp", Key="small", UploadId=uid)
    assert code(exc) == "NoSuchUpload"
    assert not list((api[0].workspace.s3_root / ".uploads").iterdir())


def test_transfer_manager_round_trip(s3, tmp_path) -> None:
    s3.create_bucket(Bucket="bkt-xfer")
    data = bytes(range(256)) * (40 << 10)  # 10 MiB: boto3 switches to multipart at 8 MiB
    (tmp_path / "up").write_bytes(data)
    s3.upload_file(str(tmp_path / "up"), "bkt-xfer", "f")
    assert s3.head_object(Bucket="bkt-xfer", Key="f")["ETag"].endswith('-2"')
    s3.download_file("bkt-xfer", "f", str(tmp_path / "down"))
    assert (tmp_path / "down").read_bytes() == data


def test_integrity_headers(s3) -> None:
    s3.create_bucket(Bucket="bkt-sum")
    good = base64.b64encode(hashlib.md5(b"abc").digest()).decode()
    s3.put_object(Bucket="bkt-sum", Key="ok", Body=b"abc", ContentMD5=good)
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket="bkt-sum", Key="bad", Body=b"abd", ContentMD5=good)
    assert code(exc) == "BadDigest"
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket="bkt-sum", Key="bad", Body=b"abc", ChecksumCRC32="AAAAAA==")
    assert code(exc) == "BadDigest"
    s3.put_object(Bucket="bkt-sum", Key="sha", Body=b"abc", ChecksumAlgorithm="SHA256")
    got = s3.head_object(Bucket="bkt-sum", Key="sha", ChecksumMode="ENABLED")
    assert got["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(b"abc").digest()).decode()
    with pytest.raises(ClientError):
        s3.head_object(Bucket="bkt-sum", Key="bad")
    # CRC32C (RFC 3720 test vector: 32 zero bytes -> 0x8A9136AA), checked by the server
    zeros = bytes(32)
    s3.put_object(Bucket="bkt-sum", Key="c", Body=zeros, ChecksumCRC32C="ipE2qg==")
    got = s3.head_object(Bucket="bkt-sum", Key="c", ChecksumMode="ENABLED")
    assert got["ChecksumCRC32C"] == "ipE2qg=="
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket="bkt-sum", Key="c2", Body=b"x" + zeros[1:], ChecksumCRC32C="ipE2qg==")
    assert code(exc) == "BadDigest"


def test_signatures_are_checked(api) -> None:
    _, ep = api
    from botocore import UNSIGNED
    from botocore.config import Config

    wrong_secret = make_client(ep, "s3", aws_secret_access_key="x" * 40)
    with pytest.raises(ClientError) as exc:
        wrong_secret.list_buckets()
    assert code(exc) == "SignatureDoesNotMatch"
    wrong_key = make_client(ep, "s3", aws_access_key_id="AKIAEXAMPLEEXAMPLE00")
    with pytest.raises(ClientError) as exc:
        wrong_key.list_buckets()
    assert code(exc) == "InvalidAccessKeyId"
    anonymous = make_client(ep, "s3", config=Config(signature_version=UNSIGNED))
    with pytest.raises(ClientError) as exc:
        anonymous.list_buckets()
    assert code(exc) == "AccessDenied"
    sm = make_client(ep, "sagemaker", aws_access_key_id="AKIAEXAMPLEEXAMPLE00")
    with pytest.raises(ClientError) as exc:
        sm.list_training_jobs()
    assert code(exc) == "UnrecognizedClientException"
    sm = make_client(ep, "sagemaker", aws_secret_access_key="y" * 40)
    with pytest.raises(ClientError) as exc:
        sm.list_training_jobs()
    assert code(exc) == "InvalidSignatureException"


def test_presigned_and_virtual_hosted(s3, api) -> None:
    import httpx
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    _, ep = api
    s3.create_bucket(Bucket="bkt-vh")
    s3.put_object(Bucket="bkt-vh", Key="dir/k", Body=b"payload")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "bkt-vh", "Key": "dir/k"})
    assert httpx.get(url).content == b"payload"
    assert httpx.get(url.replace("Signature=", "Signature=0")).status_code == 403
    from botocore.config import Config

    v4 = make_client(ep, "s3", config=Config(signature_version="s3v4"))
    url = v4.generate_presigned_url("get_object", Params={"Bucket": "bkt-vh", "Key": "dir/k"})
    assert "X-Amz-Signature=" in url and httpx.get(url).content == b"payload"
    assert httpx.get(url.replace("X-Amz-Signature=", "X-Amz-Signature=0")).status_code == 403
    # virtual-hosted style: bucket in the Host header (bkt-vh.localhost), key in the path
    port = ep.url.rsplit(":", 1)[1]
    req = AWSRequest("GET", f"http://bkt-vh.localhost:{port}/dir/k",
                     headers={"x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
    S3SigV4Auth(Credentials(ep.access_key, ep.secret_key), "s3", ep.region).add_auth(req)
    headers = dict(req.headers.items())
    headers["Host"] = f"bkt-vh.localhost:{port}"
    got = httpx.get(f"{ep.url}/dir/k", headers=headers)
    assert got.status_code == 200 and got.content == b"payload"


def test_old_signatures_are_refused(api, monkeypatch) -> None:
    import datetime as dt

    import botocore.auth
    import httpx
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    _, ep = api
    req = AWSRequest("GET", f"{ep.url}/", headers={"x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
    auth = S3SigV4Auth(Credentials(ep.access_key, ep.secret_key), "s3", ep.region)
    # a captured request replayed years later
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: dt.datetime(2020, 1, 1))
    auth.add_auth(req)
    got = httpx.get(f"{ep.url}/", headers=dict(req.headers.items()))
    assert got.status_code == 403 and b"<Code>RequestTimeTooSkewed</Code>" in got.content


def test_keys_the_local_store_cannot_hold_are_refused_clearly(s3) -> None:
    s3.create_bucket(Bucket="bkt-keys")
    with pytest.raises(ClientError) as exc:  # S3's own limit: 1,024 bytes of UTF-8
        s3.put_object(Bucket="bkt-keys", Key="k/" * 600, Body=b"x")
    assert code(exc) == "KeyTooLongError"
    with pytest.raises(ClientError) as exc:  # one file name: at most 255 bytes here
        s3.put_object(Bucket="bkt-keys", Key="a/" + "é" * 200, Body=b"x")
    assert code(exc) == "InvalidArgument" and "at most 255 bytes" in str(exc.value)
    s3.put_object(Bucket="bkt-keys", Key="dir", Body=b"data", ContentType="text/csv")
    for key in (".dir.sagestep-etag", "sub/.x.sagestep-etag"):  # the metadata sidecars' names
        with pytest.raises(ClientError) as exc:
            s3.put_object(Bucket="bkt-keys", Key=key, Body=b'{"etag": "forged"}')
        assert code(exc) == "InvalidArgument" and "reserved" in str(exc.value)
    head = s3.head_object(Bucket="bkt-keys", Key="dir")
    assert head["ContentType"] == "text/csv" and head["ETag"] == f'"{hashlib.md5(b"data").hexdigest()}"'
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="bkt-keys")["Contents"]] == ["dir"]
