"""boto3-shaped S3 subset over the local store."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from sagestep.stores.objectstore import LocalObjectStore
from sagestep.stores.s3client import LocalS3Client


@pytest.fixture
def s3(tmp_path) -> LocalS3Client:
    return LocalS3Client(LocalObjectStore(tmp_path))


def test_put_get_head_delete(s3) -> None:
    s3.create_bucket(Bucket="bkt")
    assert s3.put_object(Bucket="bkt", Key="k/x.txt", Body=b"hello")["ETag"].startswith('"')
    got = s3.get_object(Bucket="bkt", Key="k/x.txt")
    assert got["Body"].read() == b"hello" and got["ContentLength"] == 5
    assert s3.get_object(Bucket="bkt", Key="k/x.txt", Range="bytes=1-3")["Body"].read() == b"ell"
    assert s3.head_object(Bucket="bkt", Key="k/x.txt")["ContentLength"] == 5
    s3.delete_object(Bucket="bkt", Key="k/x.txt")
    with pytest.raises(ClientError) as err:
        s3.get_object(Bucket="bkt", Key="k/x.txt")
    assert err.value.response["Error"]["Code"] == "NoSuchKey"
    with pytest.raises(ClientError) as err:
        s3.head_object(Bucket="bkt", Key="k/x.txt")
    assert err.value.response["Error"]["Code"] == "404"
    with pytest.raises(ClientError) as err:
        s3.list_objects_v2(Bucket="nobucket")
    assert err.value.response["Error"]["Code"] == "NoSuchBucket"
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["bkt"]


def test_list_with_delimiter_and_pages(s3) -> None:
    for key in ("a/1", "a/2", "a/b/3", "a/b/4", "a/c/5", "z"):
        s3.put_object(Bucket="bkt", Key=key, Body=b"x")
    top = s3.list_objects_v2(Bucket="bkt", Prefix="a/", Delimiter="/")
    assert [o["Key"] for o in top["Contents"]] == ["a/1", "a/2"]
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["a/b/", "a/c/"]
    keys, token = [], None
    while True:
        page = s3.list_objects_v2(Bucket="bkt", MaxKeys=2, **({"ContinuationToken": token} if token else {}))
        keys += [o["Key"] for o in page.get("Contents", [])]
        if not page["IsTruncated"]:
            break
        token = page["NextContinuationToken"]
    assert keys == ["a/1", "a/2", "a/b/3", "a/b/4", "a/c/5", "z"]


def test_upload_download_and_escaping_key(s3, tmp_path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("1,2\n")
    s3.upload_file(str(src), "bkt", "data/in.csv")
    s3.download_file("bkt", "data/in.csv", str(tmp_path / "out.csv"))
    assert (tmp_path / "out.csv").read_text() == "1,2\n"
    with pytest.raises(ClientError) as err:
        s3.put_object(Bucket="bkt", Key="../../etc/x", Body=b"")
    assert "must stay in the bucket" in err.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as err:
        s3.download_file("bkt", "missing", str(tmp_path / "m"))
    assert err.value.response["Error"]["Code"] == "404"
