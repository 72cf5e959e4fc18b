"""Multipart parts written in place: Complete adopts the data file when it can, and copies
exactly the listed bytes when it cannot (re-uploads, gaps, other sizes, failed parts)."""

from __future__ import annotations

import base64
import hashlib
import os

import pytest
from botocore.exceptions import ClientError

MIB = 1 << 20


def _part(s3, key: str, uid: str, n: int, body: bytes, **kw) -> dict:
    etag = s3.upload_part(Bucket="bkt-mpp", Key=key, UploadId=uid, PartNumber=n, Body=body, **kw)["ETag"]
    return {"PartNumber": n, "ETag": etag}


def _complete(s3, key: str, uid: str, parts: list[dict]) -> bytes:
    s3.complete_multipart_upload(Bucket="bkt-mpp", Key=key, UploadId=uid, MultipartUpload={"Parts": parts})
    return s3.get_object(Bucket="bkt-mpp", Key=key)["Body"].read()


def test_parts_in_order_are_adopted_without_a_copy(s3, api) -> None:
    if "bkt-mpp" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket="bkt-mpp")
    a, b, c = os.urandom(5 * MIB), os.urandom(5 * MIB), b"tail"
    uid = s3.create_multipart_upload(Bucket="bkt-mpp", Key="inplace")["UploadId"]
    # out of order: the first part of >= 5 MiB fixes the stride, the short last one fits its slot
    parts = [_part(s3, "inplace", uid, 2, b), _part(s3, "inplace", uid, 3, c), _part(s3, "inplace", uid, 1, a)]
    data = api[0].workspace.s3_root / ".uploads" / uid / "data"
    inode = data.stat().st_ino
    assert _complete(s3, "inplace", uid, sorted(parts, key=lambda p: p["PartNumber"])) == a + b + c
    assert (api[0].workspace.s3_root / "bkt-mpp" / "inplace").stat().st_ino == inode  # renamed, not copied


def test_reuploads_gaps_and_other_sizes_are_copied_exactly(s3) -> None:
    if "bkt-mpp" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket="bkt-mpp")
    a, b, b2, c = (os.urandom(5 * MIB) for _ in range(4))
    uid = s3.create_multipart_upload(Bucket="bkt-mpp", Key="k")["UploadId"]
    p1, _, p3 = _part(s3, "k", uid, 1, a), _part(s3, "k", uid, 2, b), _part(s3, "k", uid, 3, c)
    p2 = _part(s3, "k", uid, 2, b2)  # a re-upload wins, and must not clobber part 3's slot
    assert _complete(s3, "k", uid, [p1, p2, p3]) == a + b2 + c
    # a gap (parts 1 and 3), and parts larger than the stride
    uid = s3.create_multipart_upload(Bucket="bkt-mpp", Key="gap")["UploadId"]
    big = os.urandom(6 * MIB)
    p1, _, p3 = _part(s3, "gap", uid, 1, a), _part(s3, "gap", uid, 2, b), _part(s3, "gap", uid, 3, big)
    assert _complete(s3, "gap", uid, [p1, p3]) == a + big
    # a smaller part that is not the last
    uid = s3.create_multipart_upload(Bucket="bkt-mpp", Key="sizes")["UploadId"]
    p1, p2, p3 = _part(s3, "sizes", uid, 1, big), _part(s3, "sizes", uid, 2, a), _part(s3, "sizes", uid, 3, b"x")
    assert _complete(s3, "sizes", uid, [p1, p2, p3]) == big + a + b"x"


def test_a_refused_part_leaves_no_trace(s3) -> None:
    if "bkt-mpp" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket="bkt-mpp")
    a, b = os.urandom(5 * MIB), os.urandom(MIB)
    uid = s3.create_multipart_upload(Bucket="bkt-mpp", Key="bad")["UploadId"]
    wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    with pytest.raises(ClientError) as exc:
        _part(s3, "bad", uid, 1, a, ContentMD5=wrong)
    assert exc.value.response["Error"]["Code"] == "BadDigest"
    assert s3.list_parts(Bucket="bkt-mpp", Key="bad", UploadId=uid).get("Parts", []) == []
    p1, p2 = _part(s3, "bad", uid, 1, a), _part(s3, "bad", uid, 2, b)
    assert _complete(s3, "bad", uid, [p1, p2]) == a + b


def test_crc32c_parts_make_a_composite_checksum(s3) -> None:
    import crc32c

    if "bkt-mpp" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket="bkt-mpp")

    def b64(crc: int) -> str:
        return base64.b64encode(crc.to_bytes(4, "big")).decode()

    a, b = os.urandom(5 * MIB), b"end"
    uid = s3.create_multipart_upload(Bucket="bkt-mpp", Key="c", ChecksumAlgorithm="CRC32C")["UploadId"]
    p1 = _part(s3, "c", uid, 1, a, ChecksumCRC32C=b64(crc32c.crc32c(a)))
    with pytest.raises(ClientError) as exc:  # a wrong CRC32C is refused
        _part(s3, "c", uid, 2, b, ChecksumCRC32C=b64(crc32c.crc32c(b"other")))
    assert exc.value.response["Error"]["Code"] == "BadDigest"
    p2 = _part(s3, "c", uid, 2, b, ChecksumCRC32C=b64(crc32c.crc32c(b)))
    done = s3.complete_multipart_upload(Bucket="bkt-mpp", Key="c", UploadId=uid,
                                        MultipartUpload={"Parts": [{**p1, "ChecksumCRC32C": b64(crc32c.crc32c(a))},
                                                                   {**p2, "ChecksumCRC32C": b64(crc32c.crc32c(b))}]})
    whole = crc32c.crc32c(crc32c.crc32c(a).to_bytes(4, "big") + crc32c.crc32c(b).to_bytes(4, "big"))
    assert done["ChecksumCRC32C"] == f"{b64(whole)}-2"


def test_a_part_longer_than_it_declared_cannot_spill_into_the_next_slot(s3, api) -> None:
    import http.client

    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    if "bkt-mpp" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket="bkt-mpp")
    ep = api[1]
    a, b, c = (os.urandom(5 * MIB) for _ in range(3))
    uid = s3.create_multipart_upload(Bucket="bkt-mpp", Key="spill")["UploadId"]
    p1, p3 = _part(s3, "spill", uid, 1, a), _part(s3, "spill", uid, 3, c)
    longer = b + os.urandom(MIB)  # aws-chunked: one chunk of 6 MiB, announced as 5 MiB
    body = f"{len(longer):x}\r\n".encode() + longer + b"\r\n0\r\n\r\n"
    url = f"{ep.url}/bkt-mpp/spill?partNumber=2&uploadId={uid}"
    req = AWSRequest("PUT", url, data=body, headers={
        "Content-Encoding": "aws-chunked", "X-Amz-Content-SHA256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "X-Amz-Decoded-Content-Length": str(len(b)), "Content-Length": str(len(body))})
    S3SigV4Auth(Credentials(ep.access_key, ep.secret_key), "s3", ep.region).add_auth(req)
    conn = http.client.HTTPConnection(ep.url.removeprefix("http://"))
    conn.request("PUT", url.split(ep.url, 1)[1], body=body, headers=dict(req.headers))
    reply = conn.getresponse()
    assert reply.status == 400 and b"IncompleteBody" in reply.read()
    conn.close()
    p2 = _part(s3, "spill", uid, 2, b)
    assert _complete(s3, "spill", uid, [p1, p2, p3]) == a + b + c
