"""AWS Signature Version 4 checks against the workspace's access key pair.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
Written out rather than borrowed from botocore's signer: botocore builds a request object
per call and re-signs, while the server only has to recompute one HMAC chain (cached per
day, region and service). tests/api drive it with botocore's real signer, so the two agree.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote, unquote

from sagestep.api.errors import ApiError

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED = "UNSIGNED-PAYLOAD"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


@dataclass(frozen=True)
class Signed:
    """What a request's Authorization (or presigned query) claims."""

    access_key: str
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str
    amz_date: str
    presigned: bool


def parse(headers: dict[str, str], query: dict[str, list[str]]) -> Signed | None:
    """The signature claims of a request, None if it is not signed at all."""
    auth = headers.get("authorization")
    if auth:
        algo, _, rest = auth.partition(" ")
        if algo != ALGORITHM:
            raise ApiError("InvalidArgument", f"unsupported authorization type {algo!r}; use SigV4")
        fields = dict(p.strip().partition("=")[::2] for p in rest.split(","))
        return _claims(fields.get("Credential", ""), fields.get("SignedHeaders", ""),
                       fields.get("Signature", ""), headers.get("x-amz-date", ""), False)
    if "X-Amz-Signature" in query:
        q = {k: v[0] for k, v in query.items()}
        return _claims(q.get("X-Amz-Credential", ""), q.get("X-Amz-SignedHeaders", ""),
                       q.get("X-Amz-Signature", ""), q.get("X-Amz-Date", ""), True)
    return None


def verify_v2_query(secret: str, access_key: str, method: str, raw_path: str,
                    query: dict[str, list[str]], headers: dict[str, str]) -> None:
    """A SigV2 presigned URL (botocore still presigns S3 URLs this way by default).

    https://docs.aws.amazon.com/AmazonS3/latest/userguide/RESTAuthentication.html#RESTAuthenticationQueryStringAuth
    """
    if query["AWSAccessKeyId"][0] != access_key:
        raise ApiError("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.", 403)
    try:
        expires = int(query["Expires"][0])
    except (KeyError, ValueError) as exc:
        raise ApiError("AccessDenied", "Query-string authentication requires Expires", 403) from exc
    if time.time() > expires:
        raise ApiError("AccessDenied", "Request has expired", 403)
    subs = sorted(k for k in query if k in _V2_SUBRESOURCES)
    resource = raw_path + ("?" + "&".join(
        f"{k}={query[k][0]}" if query[k][0] else k for k in subs) if subs else "")
    amz = "".join(f"{k}:{v.strip()}\n" for k, v in sorted(headers.items()) if k.startswith("x-amz-"))
    to_sign = f"{method}\n{headers.get('content-md5', '')}\n{headers.get('content-type', '')}\n{expires}\n{amz}{resource}"
    expected = base64.b64encode(hmac.new(secret.encode(), to_sign.encode(), hashlib.sha1).digest()).decode()
    if not hmac.compare_digest(expected, query.get("Signature", [""])[0]):
        raise ApiError("SignatureDoesNotMatch", "The request signature we calculated does not match "
                       "the signature you provided.", 403)


_V2_SUBRESOURCES = {
    "acl", "delete", "location", "logging", "partNumber", "policy", "tagging", "torrent", "uploadId",
    "uploads", "versionId", "versioning", "versions", "response-content-type",
    "response-content-language", "response-expires", "response-cache-control",
    "response-content-disposition", "response-content-encoding",
}


def _claims(credential: str, signed: str, signature: str, amz_date: str, pre: bool) -> Signed:
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request" or not signature or not amz_date:
        raise ApiError("AuthorizationHeaderMalformed", f"malformed SigV4 credential {credential!r}")
    return Signed(parts[0], parts[1], parts[2], parts[3], tuple(signed.split(";")), signature,
                  amz_date, pre)


def canonical_uri(raw_path: str, service: str) -> str:
    """S3 signs the path encoded once; every other service encodes it twice."""
    once = quote(unquote(raw_path), safe="/~")
    return once if service == "s3" else quote(once, safe="/~")


def canonical_query(raw_query: str) -> str:
    pairs = []
    for part in raw_query.split("&") if raw_query else []:
        k, _, v = part.partition("=")
        k, v = unquote(k.replace("+", "%20")), unquote(v.replace("+", "%20"))
        if k == "X-Amz-Signature":
            continue
        pairs.append((quote(k, safe="-_.~"), quote(v, safe="-_.~")))
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))


def canonical_headers(claims: Signed, headers: dict[str, str]) -> str:
    lines = []
    for name in claims.signed_headers:
        value = headers.get(name)
        if value is None:
            raise ApiError("SignatureDoesNotMatch", f"signed header {name!r} is missing", 403)
        lines.append(f"{name}:{' '.join(value.split())}\n")
    return "".join(lines)


@lru_cache(maxsize=64)
def _signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    key = f"AWS4{secret}".encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def verify(
    claims: Signed, secret: str, method: str, raw_path: str, raw_query: str,
    headers: dict[str, str], payload_hash: str,
) -> None:
    """Raise SignatureDoesNotMatch unless ``claims.signature`` signs this request."""
    canonical = "\n".join((
        method, canonical_uri(raw_path, claims.service), canonical_query(raw_query),
        canonical_headers(claims, headers), ";".join(claims.signed_headers), payload_hash,
    ))
    scope = f"{claims.date}/{claims.region}/{claims.service}/aws4_request"
    to_sign = "\n".join((
        ALGORITHM, claims.amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest(),
    ))
    key = _signing_key(secret, claims.date, claims.region, claims.service)
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, claims.signature):
        raise ApiError(
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. "
            "Check your key and signing method (sagestep api env prints this workspace's keys).",
            403,
        )
