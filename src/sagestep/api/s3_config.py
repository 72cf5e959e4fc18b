"""Bucket configuration subresources: what an unconfigured bucket answers, and versioning.

Tools that read a bucket's whole configuration before using it (Terraform's aws_s3_bucket,
s3fs, rclone, ``aws s3api``) expect the answers AWS gives for a bucket nobody configured:
some configurations answer 200 with an empty or default document, the others 404 with a
configuration-specific code. Every bucket has had SSE-S3 (AES256) default encryption, Block
Public Access on and ACLs disabled (BucketOwnerEnforced) since January/April 2023
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/default-bucket-encryption.html,
https://aws.amazon.com/about-aws/whats-new/2022/12/amazon-s3-automatically-enable-block-public-access-disable-access-control-lists-buckets-april-2023/).

Block Public Access and Object Ownership can also be set and deleted, and are kept as written:
nothing is public locally anyway (every request must be signed with the workspace key), and
ACL writes stay NotImplemented whatever Object Ownership says. Other configuration writes
(policy, CORS, lifecycle, ...) would promise behaviour the local store does not have and stay
NotImplemented.

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


# Configurations kept as written: (Get, Put, Delete), the member holding the document, and
# the 404 once deleted. Until a Put or Delete, the Get answers the default above.
SETTABLE = {
    ("GetPublicAccessBlock", "PutPublicAccessBlock", "DeletePublicAccessBlock"): (
        "PublicAccessBlockConfiguration", "NoSuchPublicAccessBlockConfiguration",
        "The public access block configuration was not found"),
    ("GetBucketOwnershipControls", "PutBucketOwnershipControls", "DeleteBucketOwnershipControls"): (
        "OwnershipControls", "OwnershipControlsNotFoundError", "The bucket ownership controls were not found"),
}


def _get_kept(get: str, member: str, missing: tuple[str, str], store: LocalObjectStore,
              p: dict[str, Any], region: str) -> dict[str, Any]:
    bucket_exists(store, p["Bucket"])
    kept = bucket_config.read(store.root, store.bucket_path(p["Bucket"])).get(member)
    if kept is None:
        return _unconfigured(UNCONFIGURED[get], store, p, region)
    if not kept:  # deleted
        raise ApiError(missing[0], missing[1], 404, BucketName=p["Bucket"])
    return {member: kept}


def _put_kept(member: str, store: LocalObjectStore, p: dict[str, Any], region: str) -> dict[str, Any]:
    bucket_exists(store, p["Bucket"])
    if not p.get(member):
        raise ApiError("MalformedXML", f"The XML you provided was not well-formed or did not validate "
                       f"against our published schema: <{member}> is missing or empty")
    bucket_config.write(store.root, store.bucket_path(p["Bucket"]), member, p[member])
    return {}


def _delete_kept(member: str, store: LocalObjectStore, p: dict[str, Any], region: str) -> dict[str, Any]:
    bucket_exists(store, p["Bucket"])
    bucket_config.write(store.root, store.bucket_path(p["Bucket"]), member, {})
    return {"_status": 204}


def handlers() -> dict[str, Callable[..., dict[str, Any]]]:
    """Operation name -> handler(store, params, region) for every configuration served here."""
    out: dict[str, Callable[..., dict[str, Any]]] = {
        name: partial(_unconfigured, answer) for name, answer in UNCONFIGURED.items()}
    for (get, put, delete), (member, code, message) in SETTABLE.items():
        out[get] = partial(_get_kept, get, member, (code, message))
        out[put] = partial(_put_kept, member)
        out[delete] = partial(_delete_kept, member)
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
