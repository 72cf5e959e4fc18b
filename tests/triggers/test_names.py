import re

import pytest

from sagestep.triggers import names

SAFE = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9])*$")


def test_run_id_is_deterministic_and_distinct_per_pipeline_and_identity():
    assert names.run_id("p", "evt-1") == names.run_id("p", "evt-1")
    assert names.run_id("p", "evt-1") != names.run_id("p", "evt-2")
    assert names.run_id("p", "evt-1") != names.run_id("q", "evt-1")
    assert re.fullmatch(r"[0-9a-f]{8}", names.run_id("p", "x"))


def test_short_names_read_naturally():
    got = names.run_names("churn", "abcd1234")
    assert got["training"] == "churn-train-abcd1234"
    assert got["tuning"] == "churn-tune-abcd1234"
    assert got["endpoint"] == "churn"
    assert names.execution_name("churn", "2024-05-01", "abcd1234") == "churn-20240501-abcd1234"


@pytest.mark.parametrize("pipeline", ["x" * 200, "My Pipeline / v2 (prod)!!" * 7, "-a-", "é" * 90])
def test_names_fit_limits_and_keep_the_unique_tail(pipeline):
    rid = "0123abcd"
    got = names.run_names(pipeline, rid)
    for stage, (_, limit) in names.STAGE_NAMES.items():
        value = got[stage]
        # room for the "-<attempt>" suffix the state machine appends
        assert len(value) <= limit - names.ATTEMPT_RESERVE, stage
        assert len(value + "-99") <= limit
        assert value.endswith(rid) and SAFE.match(value), value
    assert len(got["tuning"]) <= 29
    ex = names.execution_name(pipeline, "2024-01-02", rid)
    assert len(ex) <= 80 and ex.endswith("20240102-" + rid) and SAFE.match(ex)
    assert 0 < len(got["endpoint"]) <= 63 and SAFE.match(got["endpoint"])


def test_endpoint_name_is_stable_across_runs():
    assert names.run_names("p", "aaaa0000")["endpoint"] == names.run_names("p", "bbbb1111")["endpoint"]
    assert names.run_names("p", "aaaa0000", endpoint="prod_ep")["endpoint"] == "prod-ep"


def test_schedule_rule_name_within_eventbridge_limit():
    assert names.schedule_rule_name("churn", 0) == "sagestep-churn-schedule-0"
    assert len(names.schedule_rule_name("y" * 100, 3)) <= 64
