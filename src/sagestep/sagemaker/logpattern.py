"""CloudWatch Logs filter patterns for unstructured events: terms, phrases, ``?`` and ``-``.

https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html:
space-separated terms must all occur (case-sensitive), ``"quoted phrases"`` match as written,
``?term`` matches when any ``?`` term occurs, ``-term`` excludes. JSON (``{ $.x = 1 }``),
space-delimited (``[a, b]``) and regex (``%...%``) patterns are refused with a clear error.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable

Matcher = Callable[[str], bool]


class PatternError(ValueError):
    """A filter pattern this local service cannot evaluate."""


def compile_pattern(pattern: str | None) -> Matcher:
    """A predicate over event messages for ``pattern`` (empty: every event)."""
    text = (pattern or "").strip()
    if not text:
        return lambda _message: True
    if text[0] in "{[%":
        raise PatternError(
            f"filterPattern {text!r}: sagestep's local CloudWatch Logs evaluates term patterns "
            "only (words, \"quoted phrases\", ?any, -exclude), not JSON, space-delimited or "
            "regex patterns; filter the returned events yourself")
    try:
        terms = shlex.split(text)
    except ValueError as exc:
        raise PatternError(f"filterPattern {text!r}: {exc} (close the quoted phrase)") from exc
    required = [t for t in terms if t[:1] not in "?-"]
    optional = [t[1:] for t in terms if t.startswith("?") and len(t) > 1]
    excluded = [t[1:] for t in terms if t.startswith("-") and len(t) > 1]

    def matches(message: str) -> bool:
        if any(t in message for t in excluded):
            return False
        if optional and not any(t in message for t in optional):
            return False
        return all(t in message for t in required)

    return matches
