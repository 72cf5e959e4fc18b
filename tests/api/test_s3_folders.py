"""Folder objects (zero-byte keys ending in "/") over HTTP with boto3, as S3 keeps them."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

EMPTY_ETAG = '"d41d8cd98f00b204e9800998ecf8427e"'


def code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def keys(s3, bucket: str, **kw) -> tuple[list[str], list[str]]:
    out = s3.list_objects_v2(Bucket=bucket, **kw)
    return [o["Key"] for o in out.get("Contents", [])], [p["Prefix"] for p in out.get("CommonPrefixes", [])]


def test_folder_object_is_listed_read_and_deleted_like_any_object(s3, api) -> None:
    rt, _ = api
    s3.create_bucket(Bucket="bkt-folders")
    put = s3.put_object(Bucket="bkt-folders", Key="folder/", Body=b"", Metadata={"made-by": "console"})
    assert put["ETag"] == EMPTY_ETAG
    s3.put_object(Bucket="bkt-folders", Key="top", Body=b"t")
    assert keys(s3, "bkt-folders") == (["folder/", "top"], [])
    assert keys(s3, "bkt-folders", Prefix="folder/") == (["folder/"], [])
    assert keys(s3, "bkt-folders", Delimiter="/") == (["top"], ["folder/"])
    assert keys(s3, "bkt-folders", Prefix="folder/", Delimiter="/") == (["folder/"], [])
    head = s3.head_object(Bucket="bkt-folders", Key="folder/")
    assert (head["ContentLength"], head["ETag"], head["Metadata"]) == (0, EMPTY_ETAG, {"made-by": "console"})
    got = s3.get_object(Bucket="bkt-folders", Key="folder/")
    assert got["Body"].read() == b"" and got["ETag"] == EMPTY_ETAG
    # the tree jobs read stays plain: the folder object is the directory itself
    assert (rt.workspace.s3_root / "bkt-folders" / "folder").is_dir()
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket="bkt-folders", Key="other/")
    assert code(exc) == "404"

    # objects below it come and go; the folder object stays until it is deleted itself
    s3.put_object(Bucket="bkt-folders", Key="folder/a.csv", Body=b"1")
    assert keys(s3, "bkt-folders", Prefix="folder/") == (["folder/", "folder/a.csv"], [])
    s3.delete_object(Bucket="bkt-folders", Key="folder/a.csv")
    assert keys(s3, "bkt-folders", Prefix="folder/") == (["folder/"], [])
    with pytest.raises(ClientError) as exc:
        s3.delete_bucket(Bucket="bkt-folders")
    assert code(exc) == "BucketNotEmpty"
    s3.delete_object(Bucket="bkt-folders", Key="folder/")
    assert keys(s3, "bkt-folders") == (["top"], [])
    assert not (rt.workspace.s3_root / "bkt-folders" / "folder").exists()


def test_nested_folders_paging_copy_and_delete_many(s3) -> None:
    s3.create_bucket(Bucket="bkt-nested")
    for key in ("a/", "a/b/", "a/b/c.txt", "a/d.txt", "e/"):
        s3.put_object(Bucket="bkt-nested", Key=key, Body=key.encode() if not key.endswith("/") else b"")
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket="bkt-nested", PaginationConfig={"PageSize": 2})
    assert [o["Key"] for page in pages for o in page.get("Contents", [])] == [
        "a/", "a/b/", "a/b/c.txt", "a/d.txt", "e/"]
    assert keys(s3, "bkt-nested", Prefix="a/", Delimiter="/") == (["a/", "a/d.txt"], ["a/b/"])
    assert keys(s3, "bkt-nested", Prefix="a/b", Delimiter="/") == ([], ["a/b/"])
    # CopyObject can target a folder key (from an empty source) and copy a folder object
    s3.copy_object(Bucket="bkt-nested", Key="f/", CopySource={"Bucket": "bkt-nested", "Key": "e/"})
    s3.copy_object(Bucket="bkt-nested", Key="empty-file", CopySource="bkt-nested/e/")
    assert s3.get_object(Bucket="bkt-nested", Key="f/")["ContentLength"] == 0
    assert s3.get_object(Bucket="bkt-nested", Key="empty-file")["Body"].read() == b""
    with pytest.raises(ClientError) as exc:
        s3.copy_object(Bucket="bkt-nested", Key="g/", CopySource="bkt-nested/a/d.txt")
    assert code(exc) == "InvalidArgument" and "empty body" in exc.value.response["Error"]["Message"]
    out = s3.delete_objects(Bucket="bkt-nested", Delete={"Objects": [{"Key": "a/"}, {"Key": "a/b/"}]})
    assert sorted(d["Key"] for d in out["Deleted"]) == ["a/", "a/b/"]
    assert keys(s3, "bkt-nested", Prefix="a/") == (["a/b/c.txt", "a/d.txt"], [])


def test_folder_keys_with_bytes_or_clashing_files_get_a_clear_error(s3) -> None:
    s3.create_bucket(Bucket="bkt-folder-errors")
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket="bkt-folder-errors", Key="dir/", Body=b"not empty")
    assert code(exc) == "InvalidArgument"
    assert "use a key without the trailing '/'" in exc.value.response["Error"]["Message"]
    s3.put_object(Bucket="bkt-folder-errors", Key="file", Body=b"x")
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket="bkt-folder-errors", Key="file/", Body=b"")
    assert code(exc) == "InvalidArgument" and "cannot both exist" in exc.value.response["Error"]["Message"]
    s3.put_object(Bucket="bkt-folder-errors", Key="d/", Body=b"")
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket="bkt-folder-errors", Key="d", Body=b"x")
    assert code(exc) == "InvalidArgument"
    with pytest.raises(ClientError) as exc:
        s3.create_multipart_upload(Bucket="bkt-folder-errors", Key="parts/")
    assert code(exc) == "InvalidArgument"
    assert keys(s3, "bkt-folder-errors") == (["d/", "file"], [])
