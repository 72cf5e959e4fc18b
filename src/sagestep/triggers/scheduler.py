"""Local schedules: fire the configs' cron(...) and rate(...) triggers from `sagestep server`.

Each schedule is stored as a row (rule name, expression, anchor, next fire time) in the
workspace database, so a restarted server neither double fires nor forgets. A fire sends
the EventBridge "Scheduled Event" AWS would send to the router, with an id derived from
(rule, fire time): if the server dies after routing but before recording the fire, the
retry gets the same execution name and the router starts it once.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sagestep.errors import SagestepError
from sagestep.stores import sqlite as db
from sagestep.triggers import names, schedules

MIGRATIONS = [
    """
    CREATE TABLE trigger_schedules (
        rule TEXT PRIMARY KEY, pipeline TEXT NOT NULL, expression TEXT NOT NULL,
        anchor REAL NOT NULL, next_fire REAL, last_fire REAL)
    """,
]
ACCOUNT = "123456789012"
REGION = "us-east-1"
log = logging.getLogger("sagestep.scheduler")


def scheduled_event(rule: str, at: float) -> dict[str, Any]:
    """The EventBridge 'Scheduled Event' a rule sends at ``at``."""
    digest = hashlib.sha256(f"{rule}@{at:.0f}".encode()).hexdigest()
    return {
        "version": "0",
        "id": f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}",
        "detail-type": "Scheduled Event", "source": "aws.events", "account": ACCOUNT,
        "time": datetime.fromtimestamp(at, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION, "resources": [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{rule}"],
        "detail": {},
    }


def rules_of(items: Iterable[Mapping[str, Any]]) -> dict[str, tuple[str, str]]:
    """rule name -> (pipeline, expression) for every schedule of every config."""
    found: dict[str, tuple[str, str]] = {}
    for item in items:
        for index, spec in enumerate((item.get("triggers") or {}).get("schedules") or []):
            rule = spec.get("name") or names.schedule_rule_name(str(item["name"]), index)
            found[rule] = (str(item["name"]), str(spec["expression"]))
    return found


class Scheduler:
    """Fires due schedules through ``send`` (the router); call :meth:`tick` periodically."""

    def __init__(
        self, db_path: Path | str, configs: Callable[[], Iterable[Mapping[str, Any]]],
        send: Callable[[Mapping[str, Any]], Any],
    ) -> None:
        self.configs = configs
        self.send = send
        self.conn: sqlite3.Connection = db.connect(db_path)
        db.migrate(self.conn, "trigger-schedules", MIGRATIONS)

    def tick(self, now: float) -> list[tuple[str, float]]:
        """Fire every schedule due at ``now`` (once, even if several fires were missed)."""
        self._sync(rules_of(self.configs()), now)
        fired = []
        due = self.conn.execute(
            "SELECT rule, expression, anchor, next_fire FROM trigger_schedules"
            " WHERE next_fire IS NOT NULL AND next_fire <= ?", (now,),
        ).fetchall()
        for row in due:
            at = float(row["next_fire"])
            try:
                self.send(scheduled_event(row["rule"], at))  # route first; see the module doc
            except SagestepError as exc:  # a broken config must not stop the other schedules
                log.error("schedule %s at %s: %s", row["rule"], at, exc)
            following = schedules.parse(row["expression"]).next_after(now, row["anchor"])
            with db.transaction(self.conn):
                self.conn.execute(
                    "UPDATE trigger_schedules SET last_fire = ?, next_fire = ? WHERE rule = ?",
                    (at, following, row["rule"]),
                )
            fired.append((row["rule"], at))
        return fired

    def upcoming(self) -> list[dict[str, Any]]:
        """Stored schedules with their next and last fire times."""
        rows = self.conn.execute("SELECT * FROM trigger_schedules ORDER BY next_fire").fetchall()
        return [dict(r) for r in rows]

    def close(self) -> None:
        self.conn.close()

    def _sync(self, rules: Mapping[str, tuple[str, str]], now: float) -> None:
        stored = {r["rule"]: r for r in self.conn.execute("SELECT * FROM trigger_schedules")}
        with db.transaction(self.conn):
            for rule in set(stored) - set(rules):
                self.conn.execute("DELETE FROM trigger_schedules WHERE rule = ?", (rule,))
            for rule, (pipeline, expression) in rules.items():
                row = stored.get(rule)
                if row is not None and row["expression"] == expression:
                    continue
                # New or changed: count from now (as EventBridge does when a rule is created).
                try:
                    first = schedules.parse(expression).next_after(now, now)
                except SagestepError as exc:
                    log.error("schedule %s of %s skipped: %s", rule, pipeline, exc)
                    continue
                self.conn.execute(
                    "INSERT OR REPLACE INTO trigger_schedules"
                    " (rule, pipeline, expression, anchor, next_fire, last_fire)"
                    " VALUES (?, ?, ?, ?, ?, NULL)", (rule, pipeline, expression, now, first),
                )
