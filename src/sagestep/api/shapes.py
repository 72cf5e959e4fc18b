"""Values <-> wire text for botocore shapes: the server-side mirror of botocore's serializers.

One walker per body format (JSON, XML) plus the scalar rules headers and query strings use.
Every operation's request and response goes through these, driven by the service model,
so no operation has a hand-written shape. Timestamp formats follow the protocol defaults
(https://smithy.io/2.0/aws/protocols/): epoch seconds in JSON bodies, ISO-8601 in XML and
query strings, RFC 7231 HTTP-date in headers, unless the member sets ``timestampFormat``.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from botocore.model import Shape

from sagestep.api.errors import ApiError


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, tz=UTC)
    return parse_timestamp(str(value))


def parse_timestamp(text: str) -> datetime:
    """A timestamp in any of the three wire formats (epoch seconds, ISO-8601, HTTP-date)."""
    text = text.strip()
    try:
        return datetime.fromtimestamp(float(text), tz=UTC)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError) as exc:
        raise ApiError("InvalidArgument", f"{text!r} is not a timestamp") from exc


def format_timestamp(value: Any, fmt: str) -> str | float:
    """``value`` in wire format ``fmt``: unixTimestamp, iso8601 or rfc822."""
    when = _as_datetime(value).astimezone(UTC)
    if fmt.lower() == "unixtimestamp":
        return round(when.timestamp(), 3)
    if fmt == "rfc822":
        return format_datetime(when, usegmt=True)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def _ts_format(shape: Shape, default: str) -> str:
    return str(shape.serialization.get("timestampFormat") or shape.metadata.get("timestampFormat") or default)


# --- scalars in headers, query strings and URI labels --------------------------------------


def scalar_from_text(shape: Shape, text: str, ts_default: str = "iso8601") -> Any:
    """A header/query/label string as the Python value botocore would hand the caller."""
    kind = shape.type_name
    try:
        if kind in ("integer", "long"):
            return int(text)
        if kind in ("float", "double"):
            return float(text)
        if kind == "boolean":
            return text.lower() == "true"
    except ValueError as exc:
        raise ApiError("InvalidArgument", f"{text!r} is not a valid {kind}") from exc
    if kind == "timestamp":
        return parse_timestamp(text)
    if kind == "blob":
        return base64.b64decode(text)
    if shape.serialization.get("jsonvalue"):
        return json.loads(base64.b64decode(text))
    return text


def scalar_to_text(shape: Shape, value: Any, ts_default: str = "rfc822") -> str:
    """A Python value as header/query text (booleans lower-case, timestamps per protocol)."""
    kind = shape.type_name
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "timestamp":
        return str(format_timestamp(value, _ts_format(shape, ts_default)))
    if kind == "blob":
        raw = value if isinstance(value, bytes) else str(value).encode()
        return base64.b64encode(raw).decode()
    if shape.serialization.get("jsonvalue"):
        return base64.b64encode(json.dumps(value).encode()).decode()
    return str(value)


# --- JSON bodies ----------------------------------------------------------------------------


def to_json(shape: Shape, value: Any, rest: bool = False) -> Any:
    """``value`` as JSON data for ``shape``; members outside the shape are dropped."""
    kind = shape.type_name
    if value is None:
        return None
    if kind == "structure":
        out: dict[str, Any] = {}
        for name, member in shape.members.items():
            if name not in value or value[name] is None:
                continue
            if rest and member.serialization.get("location"):
                continue
            key = member.serialization.get("name", name) if rest else name
            out[key] = to_json(member, value[name], rest)
        return out
    if kind == "list":
        return [to_json(shape.member, item, rest) for item in value]
    if kind == "map":
        return {str(k): to_json(shape.value, v, rest) for k, v in value.items()}
    if kind == "timestamp":
        return format_timestamp(value, _ts_format(shape, "unixTimestamp"))
    if kind == "blob":
        raw = value.read() if hasattr(value, "read") else value
        return base64.b64encode(raw if isinstance(raw, bytes) else str(raw).encode()).decode()
    return value


def from_json(shape: Shape, value: Any, where: str = "") -> Any:
    """JSON request data as the Python values the local clients take (datetimes, bytes)."""
    kind = shape.type_name
    if value is None:
        return None
    if kind == "structure":
        if not isinstance(value, dict):
            raise ApiError("SerializationException", f"{where or 'body'} must be a JSON object")
        out: dict[str, Any] = {}
        for name, member in shape.members.items():
            key = member.serialization.get("name", name)
            if key in value:
                out[name] = from_json(member, value[key], f"{where}.{name}".lstrip("."))
            elif name in value:
                out[name] = from_json(member, value[name], f"{where}.{name}".lstrip("."))
        return out
    if kind == "list":
        if not isinstance(value, list):
            raise ApiError("SerializationException", f"{where} must be a JSON array")
        return [from_json(shape.member, item, where) for item in value]
    if kind == "map":
        if not isinstance(value, dict):
            raise ApiError("SerializationException", f"{where} must be a JSON object")
        return {k: from_json(shape.value, v, where) for k, v in value.items()}
    if kind == "timestamp":
        return _as_datetime(value)
    if kind == "blob":
        return base64.b64decode(value)
    return value


# --- XML bodies -----------------------------------------------------------------------------


def to_xml(shape: Shape, value: Any, name: str, xmlns: str = "") -> str:
    """``value`` as the XML element ``name`` for ``shape`` (S3 and query-protocol bodies)."""
    parts: list[str] = []
    _xml(shape, value, name, parts, xmlns)
    return "".join(parts)


def _xml(shape: Shape, value: Any, name: str, out: list[str], xmlns: str = "") -> None:
    kind = shape.type_name
    attrs = f' xmlns="{xmlns}"' if xmlns else ""
    if kind == "structure":
        out.append(f"<{name}{attrs}{_xml_attributes(shape, value)}>")
        for mname, member in shape.members.items():
            v = value.get(mname)
            if v is None or member.serialization.get("location") or member.serialization.get("xmlAttribute"):
                continue
            wire = member.serialization.get("name", mname)
            if member.type_name == "list" and member.serialization.get("flattened"):
                for item in v:
                    _xml(member.member, item, wire, out)
            else:
                _xml(member, v, wire, out)
        out.append(f"</{name}>")
    elif kind == "list":
        item_name = shape.member.serialization.get("name", "member")
        out.append(f"<{name}{attrs}>")
        for item in value:
            _xml(shape.member, item, item_name, out)
        out.append(f"</{name}>")
    elif kind == "map":
        out.append(f"<{name}{attrs}>")
        for k, v in value.items():
            out.append(f"<entry><key>{escape(str(k))}</key>")
            _xml(shape.value, v, "value", out)
            out.append("</entry>")
        out.append(f"</{name}>")
    else:
        out.append(f"<{name}{attrs}>{escape(_xml_scalar(shape, value))}</{name}>")


def _xml_attributes(shape: Shape, value: Any) -> str:
    """Members the model puts in the start tag (S3's ``<Grantee xsi:type="CanonicalUser">``)."""
    out = ""
    ns = shape.serialization.get("xmlNamespace")
    if isinstance(ns, dict) and ns.get("prefix"):
        out += f' xmlns:{ns["prefix"]}="{escape(ns["uri"])}"'
    for mname, member in shape.members.items():
        if member.serialization.get("xmlAttribute") and value.get(mname) is not None:
            wire = member.serialization.get("name", mname)
            out += f' {wire}="{escape(_xml_scalar(member, value[mname]), {chr(34): "&quot;"})}"'
    return out


def _xml_scalar(shape: Shape, value: Any) -> str:
    if shape.type_name == "timestamp":
        return str(format_timestamp(value, _ts_format(shape, "iso8601")))
    return scalar_to_text(shape, value)


def from_xml(shape: Shape, text: bytes) -> Any:
    """An XML request body (e.g. CompleteMultipartUpload, DeleteObjects) as Python values."""
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as exc:
        raise ApiError("MalformedXML", f"the XML you provided was not well-formed: {exc}") from exc
    return _from_elem(shape, root)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _from_elem(shape: Shape, elem: ElementTree.Element) -> Any:
    kind = shape.type_name
    if kind == "structure":
        out: dict[str, Any] = {}
        children = list(elem)
        for mname, member in shape.members.items():
            wire = member.serialization.get("name", mname)
            found = [c for c in children if _local(c.tag) == wire]
            if not found:
                continue
            if member.type_name == "list" and member.serialization.get("flattened"):
                out[mname] = [_from_elem(member.member, c) for c in found]
            else:
                out[mname] = _from_elem(member, found[0])
        return out
    if kind == "list":
        return [_from_elem(shape.member, c) for c in elem]
    if kind == "map":
        return {
            (e.findtext("key") or ""): _from_elem(shape.value, e.find("value") or e) for e in elem
        }
    return scalar_from_text(shape, elem.text or "")
