"""Tag sets as S3 checks them: 10 tags per object, 50 per bucket, keys of 1-128 and values
of 0-256 characters, no duplicate keys, ``aws:`` reserved
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-tagging.html)."""

from __future__ import annotations

from urllib.parse import parse_qsl

from sagestep.api.errors import ApiError

MAX_OBJECT_TAGS = 10
MAX_BUCKET_TAGS = 50


def checked(pairs: list[tuple[str, str]], limit: int) -> dict[str, str]:
    """The tag set ``pairs`` as a dict, or InvalidTag/BadRequest saying what is wrong."""
    if len(pairs) > limit:
        if limit == MAX_OBJECT_TAGS:
            raise ApiError("BadRequest", f"Object tags cannot be greater than {limit}")
        raise ApiError("InvalidTag", f"Bucket tag count cannot be greater than {limit}")
    tags: dict[str, str] = {}
    for key, value in pairs:
        if key in tags:
            raise ApiError("InvalidTag", "Cannot provide multiple Tags with the same key", TagKey=key)
        if not 1 <= len(key) <= 128:
            raise ApiError("InvalidTag", "The TagKey you have provided is invalid", TagKey=key)
        if len(value) > 256:
            raise ApiError("InvalidTag", "The TagValue you have provided is invalid", TagKey=key)
        if key.lower().startswith("aws:"):
            raise ApiError("InvalidTag", "Your TagKey cannot be prefixed with aws:", TagKey=key)
        tags[key] = value
    return tags


def from_header(text: str | None) -> dict[str, str]:
    """The tags of an ``x-amz-tagging`` header (URL query form: ``k1=v1&k2=v2``)."""
    if not text:
        return {}
    return checked(parse_qsl(text, keep_blank_values=True), MAX_OBJECT_TAGS)


def tag_set(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]
