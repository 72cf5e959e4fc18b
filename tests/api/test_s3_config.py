"""Bucket configuration, tags and object attributes over HTTP with boto3."""

from __future__ import annotations

import base64
import zlib

import pytest
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError


def code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def status(exc: pytest.ExceptionInfo[ClientError]) -> int:
    return int(exc.value.response["ResponseMetadata"]["HTTPStatusCode"])


def test_an_unconfigured_bucket_answers_as_on_aws(s3) -> None:
    s3.create_bucket(Bucket="bkt-conf")
    b = {"Bucket": "bkt-conf"}
    versioning = s3.get_bucket_versioning(**b)
    assert "Status" not in versioning and versioning["ResponseMetadata"]["HTTPStatusCode"] == 200
    enc = s3.get_bucket_encryption(**b)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert enc["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    acl = s3.get_bucket_acl(**b)
    assert acl["Grants"] == [{"Grantee": {"DisplayName": "sagestep", "ID": "sagestep-local",
                                          "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"}]
    assert acl["Owner"]["ID"] == "sagestep-local"
    assert s3.get_public_access_block(**b)["PublicAccessBlockConfiguration"]["BlockPublicAcls"] is True
    rules = s3.get_bucket_ownership_controls(**b)["OwnershipControls"]["Rules"]
    assert rules == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert s3.get_bucket_request_payment(**b)["Payer"] == "BucketOwner"
    assert "LoggingEnabled" not in s3.get_bucket_logging(**b)
    assert "Status" not in s3.get_bucket_accelerate_configuration(**b)
    missing = {
        s3.get_bucket_tagging: "NoSuchTagSet", s3.get_bucket_policy: "NoSuchBucketPolicy",
        s3.get_bucket_cors: "NoSuchCORSConfiguration",
        s3.get_bucket_lifecycle_configuration: "NoSuchLifecycleConfiguration",
        s3.get_bucket_website: "NoSuchWebsiteConfiguration",
        s3.get_bucket_replication: "ReplicationConfigurationNotFoundError",
        s3.get_object_lock_configuration: "ObjectLockConfigurationNotFoundError",
    }
    for call, want in missing.items():
        with pytest.raises(ClientError) as exc:
            call(**b)
        assert (code(exc), status(exc)) == (want, 404), call
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_versioning(Bucket="bkt-absent")
    assert code(exc) == "NoSuchBucket"
    with pytest.raises(ClientError) as exc:  # configurations nobody asked for yet stay unimplemented
        s3.put_bucket_cors(Bucket="bkt-conf", CORSConfiguration={"CORSRules": [
            {"AllowedMethods": ["GET"], "AllowedOrigins": ["*"]}]})
    assert (code(exc), status(exc)) == ("NotImplemented", 501)


def test_versioning_status_is_kept_and_enabled_is_refused_clearly(s3) -> None:
    s3.create_bucket(Bucket="bkt-vers")
    s3.put_bucket_versioning(Bucket="bkt-vers", VersioningConfiguration={"Status": "Suspended"})
    assert s3.get_bucket_versioning(Bucket="bkt-vers")["Status"] == "Suspended"
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_versioning(Bucket="bkt-vers", VersioningConfiguration={"Status": "Enabled"})
    assert (code(exc), status(exc)) == ("NotImplemented", 501)
    assert "object versions would not be kept" in exc.value.response["Error"]["Message"]
    assert s3.get_bucket_versioning(Bucket="bkt-vers")["Status"] == "Suspended"
    # a bucket deleted and made again starts unconfigured
    s3.delete_bucket(Bucket="bkt-vers")
    s3.create_bucket(Bucket="bkt-vers")
    assert "Status" not in s3.get_bucket_versioning(Bucket="bkt-vers")


def test_bucket_tagging(s3) -> None:
    s3.create_bucket(Bucket="bkt-btags")
    s3.put_bucket_tagging(Bucket="bkt-btags", Tagging={"TagSet": [{"Key": "team", "Value": "ml"},
                                                                   {"Key": "env", "Value": ""}]})
    assert s3.get_bucket_tagging(Bucket="bkt-btags")["TagSet"] == [
        {"Key": "team", "Value": "ml"}, {"Key": "env", "Value": ""}]
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_tagging(Bucket="bkt-btags", Tagging={"TagSet": [{"Key": "a", "Value": "1"},
                                                                       {"Key": "a", "Value": "2"}]})
    assert code(exc) == "InvalidTag"
    s3.delete_bucket_tagging(Bucket="bkt-btags")
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_tagging(Bucket="bkt-btags")
    assert code(exc) == "NoSuchTagSet"


def test_object_tagging_round_trips_and_follows_copies(s3) -> None:
    s3.create_bucket(Bucket="bkt-otags")
    b = "bkt-otags"
    s3.put_object(Bucket=b, Key="k", Body=b"v", Tagging="stage=raw&owner=a%20b")
    assert s3.get_object_tagging(Bucket=b, Key="k")["TagSet"] == [
        {"Key": "stage", "Value": "raw"}, {"Key": "owner", "Value": "a b"}]
    assert s3.head_object(Bucket=b, Key="k")["ResponseMetadata"]["HTTPHeaders"]["x-amz-tagging-count"] == "2"
    assert s3.get_object(Bucket=b, Key="k")["TagCount"] == 2
    etag = s3.head_object(Bucket=b, Key="k")["ETag"]
    s3.put_object_tagging(Bucket=b, Key="k", Tagging={"TagSet": [{"Key": "stage", "Value": "clean"}]})
    assert s3.get_object_tagging(Bucket=b, Key="k")["TagSet"] == [{"Key": "stage", "Value": "clean"}]
    assert s3.head_object(Bucket=b, Key="k")["ETag"] == etag  # tags do not touch the bytes
    s3.copy_object(Bucket=b, Key="copied", CopySource=f"{b}/k")
    assert s3.get_object_tagging(Bucket=b, Key="copied")["TagSet"] == [{"Key": "stage", "Value": "clean"}]
    s3.copy_object(Bucket=b, Key="retagged", CopySource=f"{b}/k", TaggingDirective="REPLACE", Tagging="x=1")
    assert s3.get_object_tagging(Bucket=b, Key="retagged")["TagSet"] == [{"Key": "x", "Value": "1"}]
    s3.copy_object(Bucket=b, Key="meta-only", CopySource=f"{b}/k", MetadataDirective="REPLACE",
                   ContentType="text/plain")
    assert s3.get_object_tagging(Bucket=b, Key="meta-only")["TagSet"] == [{"Key": "stage", "Value": "clean"}]
    s3.delete_object_tagging(Bucket=b, Key="k")
    assert s3.get_object_tagging(Bucket=b, Key="k")["TagSet"] == []
    assert "TagCount" not in s3.get_object(Bucket=b, Key="k")
    s3.put_object(Bucket=b, Key="dir/", Body=b"", Tagging="kind=folder")
    assert s3.get_object_tagging(Bucket=b, Key="dir/")["TagSet"] == [{"Key": "kind", "Value": "folder"}]
    too_many = "&".join(f"k{i}=v" for i in range(11))
    bad = {"too many": (too_many, "BadRequest"), "aws prefix": ("aws:x=1", "InvalidTag"),
           "long key": ("k" * 129 + "=v", "InvalidTag")}
    for what, (header, want) in bad.items():
        with pytest.raises(ClientError) as exc:
            s3.put_object(Bucket=b, Key="bad", Body=b"v", Tagging=header)
        assert code(exc) == want, what
    with pytest.raises(ClientError) as exc:
        s3.get_object_tagging(Bucket=b, Key="bad")
    assert code(exc) == "NoSuchKey"


def test_object_attributes_single_and_multipart(s3, tmp_path) -> None:
    s3.create_bucket(Bucket="bkt-attrs")
    body = b"hello"
    s3.put_object(Bucket="bkt-attrs", Key="small", Body=body)
    everything = ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"]
    got = s3.get_object_attributes(Bucket="bkt-attrs", Key="small", ObjectAttributes=everything)
    assert got["ETag"] == s3.head_object(Bucket="bkt-attrs", Key="small")["ETag"].strip('"')
    assert (got["ObjectSize"], got["StorageClass"]) == (5, "STANDARD")
    assert got["Checksum"]["ChecksumCRC32"] == base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()
    assert "ObjectParts" not in got and got["LastModified"]
    only = s3.get_object_attributes(Bucket="bkt-attrs", Key="small", ObjectAttributes=["ObjectSize"])
    assert "ETag" not in only and only["ObjectSize"] == 5
    big = tmp_path / "big"
    big.write_bytes(bytes(range(256)) * (48 * 1024))  # 12 MiB: three 5 MiB parts
    cfg = TransferConfig(multipart_threshold=5 << 20, multipart_chunksize=5 << 20)
    s3.upload_file(str(big), "bkt-attrs", "big", Config=cfg, ExtraArgs={"ChecksumAlgorithm": "CRC32"})
    parts = s3.get_object_attributes(Bucket="bkt-attrs", Key="big", ObjectAttributes=everything,
                                     MaxParts=2)["ObjectParts"]
    assert (parts["TotalPartsCount"], parts["IsTruncated"], parts["NextPartNumberMarker"]) == (3, True, 2)
    assert [p["Size"] for p in parts["Parts"]] == [5 << 20, 5 << 20]
    rest = s3.get_object_attributes(Bucket="bkt-attrs", Key="big", ObjectAttributes=["ObjectParts"],
                                    PartNumberMarker=2)["ObjectParts"]
    assert [(p["PartNumber"], p["Size"]) for p in rest["Parts"]] == [(3, (12 << 20) - (10 << 20))]
    assert all("ChecksumCRC32" in p for p in parts["Parts"] + rest["Parts"])
    with pytest.raises(ClientError) as exc:
        s3.get_object_attributes(Bucket="bkt-attrs", Key="absent", ObjectAttributes=["ETag"])
    assert code(exc) == "NoSuchKey"


def test_object_versions_list_each_object_once_as_version_null(s3) -> None:
    s3.create_bucket(Bucket="bkt-versions")
    for key in ("a/", "a/1", "b", "c/2"):
        s3.put_object(Bucket="bkt-versions", Key=key, Body=b"" if key.endswith("/") else b"x")
    pages = s3.get_paginator("list_object_versions").paginate(Bucket="bkt-versions",
                                                               PaginationConfig={"PageSize": 3})
    versions = [v for page in pages for v in page.get("Versions", [])]
    assert [(v["Key"], v["VersionId"], v["IsLatest"]) for v in versions] == [
        (k, "null", True) for k in ("a/", "a/1", "b", "c/2")]
    top = s3.list_object_versions(Bucket="bkt-versions", Delimiter="/")
    assert [v["Key"] for v in top["Versions"]] == ["b"]
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["a/", "c/"]
    # what tools do to empty a bucket: delete every listed version
    s3.delete_objects(Bucket="bkt-versions", Delete={"Objects": [
        {"Key": v["Key"], "VersionId": v["VersionId"]} for v in versions]})
    s3.delete_bucket(Bucket="bkt-versions")


def test_public_access_block_and_ownership_controls_are_kept_as_written(s3) -> None:
    s3.create_bucket(Bucket="bkt-pab")
    b = {"Bucket": "bkt-pab"}
    s3.put_public_access_block(**b, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": False, "BlockPublicPolicy": True,
        "RestrictPublicBuckets": False})
    got = s3.get_public_access_block(**b)["PublicAccessBlockConfiguration"]
    assert (got["IgnorePublicAcls"], got["BlockPublicPolicy"]) == (False, True)
    s3.delete_public_access_block(**b)
    with pytest.raises(ClientError) as exc:
        s3.get_public_access_block(**b)
    assert (code(exc), status(exc)) == ("NoSuchPublicAccessBlockConfiguration", 404)
    s3.put_bucket_ownership_controls(**b, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
    assert s3.get_bucket_ownership_controls(**b)["OwnershipControls"]["Rules"] == [
        {"ObjectOwnership": "ObjectWriter"}]
    s3.delete_bucket_ownership_controls(**b)
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_ownership_controls(**b)
    assert code(exc) == "OwnershipControlsNotFoundError"
