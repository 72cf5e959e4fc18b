"""The deploy queue's decision: update, skip (superseded) or done."""

from __future__ import annotations

from datetime import UTC, datetime

from sagestep.pipeline.deployqueue import deploy_turn, order_of
from sagestep.pipeline.helper import handler
from sagestep.triggers import names


def config(ms: int, rid: str = "0000abcd") -> str:
    when = datetime(2026, 12, 4, 21, 0, 0, ms * 1000, tzinfo=UTC)
    return names.run_names("churn", rid, order=names.deploy_order(when))["endpoint_config"]


def endpoint(current: str, status: str = "InService") -> dict[str, str]:
    return {"EndpointName": "churn", "EndpointStatus": status, "EndpointConfigName": current}


def test_endpoint_config_names_carry_the_trigger_order() -> None:
    first, second = config(1, "ffffffff"), config(2, "00000000")
    assert first.startswith("churn-epc-20261204210000001-")
    assert order_of(first) < order_of(second)  # time first, run id only breaks ties
    assert len(names.run_names("p" * 80, "abcd1234", order="2" * 17)["endpoint_config"]) <= 60
    got = names.run_names("churn", "abcd1234", order="2" * 17)
    assert got["endpoint_config"].startswith(got["endpoint_config_family"])
    assert order_of("churn-epc-abcd1234") is None


def test_an_earlier_model_never_replaces_a_later_one() -> None:
    got = deploy_turn({"config": config(1), "endpoint": endpoint(config(5))})
    assert got["action"] == "skip" and got["superseded_by"] == config(5)
    assert "triggered after this one" in got["reason"]


def test_a_later_model_updates_and_a_repeat_is_done() -> None:
    assert deploy_turn({"config": config(5), "endpoint": endpoint(config(1))})["action"] == "update"
    assert deploy_turn({"config": config(5), "endpoint": endpoint(config(5))})["action"] == "done"
    # Still moving to our own config (a create delivered twice): not done, not superseded.
    assert deploy_turn({"config": config(5), "endpoint": endpoint(config(5), "Failed")})[
        "action"] == "update"
    # Configs named before the queue existed: plain update.
    assert deploy_turn({"config": "old-name", "endpoint": endpoint(config(9))})["action"] == "update"


def test_latest_wins_skips_when_a_later_run_has_its_config_ready() -> None:
    others = [{"EndpointConfigName": config(9)}, {"EndpointConfigName": config(3)},
              {"EndpointConfigName": "churnx-epc-20991204210000001-00000000"}]  # other family
    event = {"config": config(3), "endpoint": endpoint(config(1)), "configs": others}
    assert deploy_turn(event)["action"] == "update"  # default policy: apply in order
    got = handler({"action": "deploy_turn", **event, "stage": {"latest_wins": True}})
    assert got["action"] == "skip" and got["superseded_by"] == config(9)
    assert got["reason"].startswith("skipped (latest_wins)")
    assert deploy_turn({**event, "config": config(9), "latest_wins": True})["action"] == "update"


def test_configured_output_paths_stay_unique_per_run() -> None:
    from sagestep.pipeline.requests import per_run

    assert per_run("s3://b/shared/out/") == "s3://b/shared/out/{{ run.id }}"
    for own in ("s3://b/{{ run.id }}/x", "s3://b/{{run.execution_name}}", "s3://b/SFN_EXECUTION_ID/x",
                "s3://b/{{ names.training }}"):
        assert per_run(own) == own
