"""Bucket configuration subresources: what an unconfigured bucket answers, and versioning.

Tools that read a bucket's whole configuration before using it (Terraform's aws_s3_bucket,
s3fs, rclone, ``aws s3api``) expect the answers AWS gives for a bucket nobody configured:
some configurations answer 200 with an empty or default document, the others 404 with a
configuration-specific code. Every bucket has had SSE-S3 (AES256) default encryption, Block
Public Access on and ACLs disabled (BucketOwnerEnforced) since January/April 2023
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/default-bucket-encryption.html,
https://aws.amazon.com/about-aws/whats-new/2022/12/amazon-s3-automatically-enable-block-public-access-disable-access-control-lists-buckets-april-2023/).

Versioning: the status is stored, but only "Suspended" is accepted. The local store keeps one
file per key (the plain tree jobs read), so it cannot keep the versions "Enabled" promises;
accepting it would let code that restores or lists old versions fail later in a confusing way,
so it is refused up front with a clear NotImplemented.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from sagestep.api.errors import ApiError
from sagestep.api.s3_buckets import OWNER, bucket_exists
from sagestep.api.s3_objects import existing
from sagestep.stores import bucket_config
from sagestep.stores.objectstore import LocalObjectStore

_FULL_CONTROL = {"Owner": OWNER, "Grants": [{"Grantee": {**OWNER, "Type": "CanonicalUser"},
                                             "Permission": "FULL_CONTROL"}]}

# What AWS answers for each configuration of a bucket nobody configured: a result, or the
# (code, message) of its 404.
UNCONFIGURED: dict[str, dict[str, Any] | tuple[str, str]] = {
    "GetBucketPolicy": ("NoSuchBucketPolicy", "The bucket policy does not exist"),
    "GetBucketPolicyStatus": ("NoSuchBucketPolicy", "The bucket policy does not exist"),
    "GetBucketCors": ("NoSuchCORSConfiguration", "The CORS configuration does not exist"),
    "GetBucketLifecycleConfiguration": ("NoSuchLifecycleConfiguration",
                                        "The lifecycle configuration does not exist"),
    "GetBucketLifecycle": ("NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist"),
    "GetBucketWebsite": ("NoSuchWebsiteConfiguration",
                         "The specified bucket does not have a website configuration"),
    "GetBucketReplication": ("ReplicationConfigurationNotFoundError",
                             "The replication configuration was not found"),
    "GetObjectLockConfiguration": ("ObjectLockConfigurationNotFoundError",
                                   "Object Lock configuration does not exist for this bucket"),
    "GetBucketLogging": {},
    "GetBucketAccelerateConfiguration": {},
    "GetBucketNotificationConfiguration": {},
    "GetBucketRequestPayment": {"Payer": "BucketOwner"},
    "GetBucketEncryption": {"ServerSideEncryptionConfiguration": {"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}]}},
    "GetPublicAccessBlock": {"PublicAccessBlockConfiguration": {
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True}},
    "GetBucketOwnershipControls": {"OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}},
    "GetBucketAcl": _FULL_CONTROL,
}


def _unconfigured(answer: dict[str, Any] | tuple[str, str], store: LocalObjectStore,
                  p: dict[str, Any], region: str) -> dict[str, Any]:
    bucket_exists(store, p["Bucket"])
    if isinstance(answer, tuple):
        raise ApiError(answer[0], answer[1], 404, BucketName=p["Bucket"])
    return dict(answer)


def handlers() -> dict[str, Callable[..., dict[str, Any]]]:
    """Operation name -> handler(store, params, region) for every configuration read here."""
    out: dict[str, Callable[..., dict[str, Any]]] = {
        name: partial(_unconfigured, answer) for name, answer in UNCONFIGURED.items()}
    out.update({"GetBucketVersioning": get_bucket_versioning,
                "PutBucketVersioning": put_bucket_versioning})
    return out


def get_object_acl(store: LocalObjectStore, p: dict[str, Any]) -> dict[str, Any]:
    """ACLs are disabled (BucketOwnerEnforced): the owner has full control of every object."""
    existing(store, p["Bucket"], p["Key"])
    return dict(_FULL_CONTROL)


def get_bucket_versioning(store: LocalObjectStore, p: dict[str, Any], region: str) -> dict[str, Any]:
    bucket_exists(store, p["Bucket"])
    status = bucket_config.read(store.root, store.bucket_path(p["Bucket"])).get("versioning")
    # A bucket never versioned answers an empty <VersioningConfiguration/>.
    return {"Status": status} if status else {}


def put_bucket_versioning(store: LocalObjectStore, p: dict[str, Any], region: str) -> dict[str, Any]:
    bucket_exists(store, p["Bucket"])
    conf = p.get("VersioningConfiguration") or {}
    status = conf.get("Status")
    if status not in (None, "Enabled", "Suspended"):
        raise ApiError("MalformedXML", f"Versioning Status {status!r} is not Enabled or Suspended")
    if status == "Enabled" or conf.get("MFADelete") == "Enabled":
        raise ApiError(
            "NotImplemented",
            f"sagestep's local S3 keeps one version of each key (keys are plain files that jobs "
            f"read), so it cannot turn on versioning for bucket {p['Bucket']}: object versions "
            "would not be kept. Leave versioning off (or Suspended) for local runs; on AWS, "
            "configure it where the bucket is deployed.", 501)
    if status:
        bucket_config.write(store.root, store.bucket_path(p["Bucket"]), "versioning", status)
    return {}
