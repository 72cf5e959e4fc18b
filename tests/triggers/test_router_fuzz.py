"""Any event, however malformed, ends in a result or a RouterError: never another exception."""

import copy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sagestep.errors import RouterError
from sagestep.triggers.router import Router
from tests.triggers.fakes import STATE_MACHINE, Configs, Sfn, item
from tests.triggers.test_router import eventbridge_s3, s3_notification

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(["Records", "body", "s3", "detail", "bucket", "object",
                                       "key", "name", "config", "pipeline", "prefix", "Sns",
                                       "Message", "detail-type", "source", "resources", "id",
                                       "consumption_pipeline_name", "dataset_date", "params",
                                       "object", "time", "run_key"]) | st.text(max_size=8),
                      children, max_size=5),
    max_leaves=20,
)
SEEDS = [eventbridge_s3(), s3_notification(), {"pipeline": "churn"},
         {"consumption_pipeline_name": "churn", "dataset_date": "2024-01-01"},
         {"config": {"bucket": "b", "prefix": "p"}},
         {"detail-type": "Scheduled Event", "resources": ["arn:aws:events:r:1:rule/x"]}]


def route(event):
    try:
        result = Router(Configs(item()), Sfn(), STATE_MACHINE, clock=lambda: 0.0).route(event, "r")
    except RouterError:
        return
    assert set(result) == {"started", "ignored"}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_arbitrary_json_never_crashes_the_router(event):
    route(event)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(SEEDS), st.data(), json_values)
def test_valid_events_with_any_nested_field_replaced_never_crash(seed, data, value):
    event = copy.deepcopy(seed)
    parent, key = None, None
    node = event
    while isinstance(node, dict | list) and node and (parent is None or data.draw(st.booleans())):
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        parent, key = node, data.draw(st.sampled_from(keys))
        node = parent[key]
    if parent is not None:
        parent[key] = value
    route(event)


def test_absurd_times_fall_back_to_the_clock():
    for when in ("1e400", "-1e30", "nan", "2024-13-45T99:00:00Z", "9" * 40):
        sfn = Sfn()
        Router(Configs(item()), sfn, STATE_MACHINE, clock=lambda: 0.0).route(
            {"pipeline": "churn", "time": when}, "r")
        assert sfn.only()["input"]["run"]["dataset_date"] == "1970-01-01"


def test_malformed_registered_items_are_skipped_or_reported_never_crash():
    broken = [
        {"name": "a", "triggers": {"s3": [{"prefix": "x"}]}},          # no bucket
        {"name": "b", "triggers": {"s3": "landing"}},                   # not a list
        {"name": "c", "triggers": {"schedules": [{"nope": 1}]}},
        {"name": "d", "triggers": None, "stages": "oops"},
    ]
    sfn = Sfn()
    r = Router(Configs(item(), *broken), sfn, STATE_MACHINE, clock=lambda: 0.0)
    assert len(r.route(eventbridge_s3())["started"]) == 1  # the good config still runs
    r.route({"detail-type": "Scheduled Event", "resources": ["arn:aws:events:r:1:rule/x"]})
    try:
        r.route({"pipeline": "d"}, "req")
    except RouterError as exc:
        assert "malformed" in str(exc)
