from datetime import UTC, datetime

from sagestep.triggers.events import parse
from sagestep.triggers.scheduler import Scheduler, scheduled_event


def ts(text):
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def configs(expression="cron(0 14 ? * SAT *)"):
    return [{"name": "churn", "triggers": {"schedules": [{"expression": expression}]}}]


def test_fires_when_due_once_and_survives_restart_without_double_firing(tmp_path):
    sent = []
    db = tmp_path / "db.sqlite"
    sched = Scheduler(db, configs, sent.append)
    assert sched.tick(ts("2024-05-01 00:00")) == []  # registers; next fire Sat 2024-05-04 14:00
    assert sched.upcoming()[0]["next_fire"] == ts("2024-05-04 14:00")
    fired = sched.tick(ts("2024-05-04 14:00:30"))
    assert fired == [("sagestep-churn-schedule-0", ts("2024-05-04 14:00"))]
    sched.close()
    again = Scheduler(db, configs, sent.append)  # restart within the same minute
    assert again.tick(ts("2024-05-04 14:00:45")) == []
    assert len(sent) == 1
    event = sent[0]
    assert event["time"] == "2024-05-04T14:00:00Z"
    (trigger,) = parse(event)
    assert trigger.type == "schedule" and trigger.rule == "sagestep-churn-schedule-0"


def test_missed_fires_while_down_fire_once(tmp_path):
    sent = []
    sched = Scheduler(tmp_path / "db.sqlite", lambda: configs("rate(1 hour)"), sent.append)
    sched.tick(ts("2024-05-01 00:00"))
    assert len(sched.tick(ts("2024-05-01 05:30"))) == 1
    assert sched.upcoming()[0]["next_fire"] == ts("2024-05-01 06:00")


def test_changed_and_removed_schedules(tmp_path):
    current = {"items": configs("rate(5 minutes)")}
    sched = Scheduler(tmp_path / "db.sqlite", lambda: current["items"], lambda e: None)
    sched.tick(ts("2024-05-01 00:00"))
    current["items"] = configs("rate(10 minutes)")
    sched.tick(ts("2024-05-01 00:01"))
    assert sched.upcoming()[0]["next_fire"] == ts("2024-05-01 00:11")
    current["items"] = [{"name": "churn", "triggers": {}}]
    sched.tick(ts("2024-05-01 00:02"))
    assert sched.upcoming() == []


def test_bad_expression_is_skipped_not_fatal(tmp_path):
    items = configs("every day") + [{"name": "ok", "triggers": {"schedules": [
        {"expression": "rate(1 minute)", "name": "ok-rule"}]}}]
    sched = Scheduler(tmp_path / "db.sqlite", lambda: items, lambda e: None)
    sched.tick(ts("2024-05-01 00:00"))
    assert [r["rule"] for r in sched.upcoming()] == ["ok-rule"]


def test_scheduled_event_id_is_deterministic():
    assert scheduled_event("r", 100.0)["id"] == scheduled_event("r", 100.0)["id"]
    assert scheduled_event("r", 100.0)["id"] != scheduled_event("r", 160.0)["id"]
