"""MetricDefinitions scraping: each regex's first group on each log line, last value wins.

CloudWatch renders tabs as ``#011``; built-in regexes are written against that form, so each
line is also matched with tabs replaced (reference section 8.6).
"""

from __future__ import annotations

import math
import re
from typing import Any


class MetricScraper:
    """Applies metric definitions to log lines, keeping the last value of each metric."""

    def __init__(self, definitions: list[dict[str, Any]]) -> None:
        self._defs: list[tuple[str, re.Pattern[str]]] = []
        for d in definitions:
            try:
                self._defs.append((d["Name"], re.compile(d["Regex"])))
            except re.error:
                continue  # validated at create time; never fail a running job on it
        self.values: dict[str, tuple[float, float]] = {}

    def feed(self, line: str, now: float) -> None:
        if not self._defs:
            return
        variants = (line, line.replace("\t", "#011")) if "\t" in line else (line,)
        for name, regex in self._defs:
            for text in variants:
                match = regex.search(text)
                if match and match.groups():
                    try:
                        value = float(match.group(1))
                    except (TypeError, ValueError):
                        continue
                    if math.isfinite(value):
                        self.values[name] = (value, now)
                    break

    def final(self) -> list[dict[str, Any]]:
        """FinalMetricDataList: [{MetricName, Value, Timestamp}] (at most 40, as AWS)."""
        return [{"MetricName": n, "Value": v, "Timestamp": t}
                for n, (v, t) in list(self.values.items())[:40]]


def bad_regex(definitions: list[dict[str, Any]]) -> str | None:
    for d in definitions:
        try:
            re.compile(d.get("Regex", ""))
        except re.error as exc:
            return f"MetricDefinitions regex {d.get('Regex')!r} for {d.get('Name')!r} is invalid: {exc}"
    return None
