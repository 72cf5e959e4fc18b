import json

import pytest

from sagestep.errors import RouterError
from sagestep.triggers.router import Router
from tests.triggers.fakes import STATE_MACHINE, Configs, Sfn, item

NOW = 1_700_000_000.0  # 2023-11-14


def router(*items, sfn=None):
    return Router(Configs(*items), sfn or Sfn(), STATE_MACHINE, clock=lambda: NOW)


def eventbridge_s3(key="incoming/churn/day 1.csv", bucket="landing", eid="17793124-05d4"):
    return {
        "version": "0", "id": eid, "detail-type": "Object Created", "source": "aws.s3",
        "account": "111122223333", "time": "2024-05-01T10:20:30Z", "region": "us-east-1",
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {"version": "0", "bucket": {"name": bucket},
                   "object": {"key": key, "size": 5, "etag": "b19", "sequencer": "617f"},
                   "request-id": "N4N7", "reason": "PutObject"},
    }


def s3_notification(key="incoming/churn/red+flower%2B1.csv"):
    return {"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-west-2",
        "eventTime": "2024-05-02T00:00:00.000Z", "eventName": "ObjectCreated:Put",
        "responseElements": {"x-amz-request-id": "REQ1", "x-amz-id-2": "x"},
        "s3": {"s3SchemaVersion": "1.0", "configurationId": "c",
               "bucket": {"name": "landing", "arn": "arn:aws:s3:::landing"},
               "object": {"key": key, "size": 1024, "eTag": "e", "sequencer": "0A1B"}},
    }]}


def test_eventbridge_object_created_carries_bucket_and_key_into_the_run():
    sfn = Sfn()
    result = router(item(), sfn=sfn).route(eventbridge_s3())
    (run,) = result["started"]
    assert run["pipeline"] == "churn" and not run["duplicate"]
    assert run["name"].startswith("churn-20240501-")
    execution = sfn.only()
    payload = execution["input"]
    assert payload["run"]["trigger"] == {
        "type": "s3", "bucket": "landing", "key": "incoming/churn/day 1.csv",
        "uri": "s3://landing/incoming/churn/day 1.csv", "prefix": "incoming/churn",
        "filename": "day 1.csv", "rule": "",
    }
    assert payload["run"]["dataset_date"] == "2024-05-01"
    assert payload["config_version"] == 3
    stages = payload["stages"]
    assert stages["preprocessing"]["inputs"]["raw"] == "s3://landing/incoming/churn/day 1.csv"
    rid = payload["run"]["id"]
    assert stages["preprocessing"]["outputs"]["train"] == f"s3://work/churn/{rid}/train"
    assert stages["training"]["job_name"] == payload["names"]["training"] == f"churn-train-{rid}"
    assert stages["training"]["later"] == "{{ stages.x }}"  # resolved while the run executes


def test_native_s3_notification_keys_are_url_decoded():
    sfn = Sfn()
    router(item(), sfn=sfn).route(s3_notification())
    trig = sfn.only()["input"]["run"]["trigger"]
    assert trig["key"] == "incoming/churn/red flower+1.csv"
    assert sfn.only()["input"]["run"]["dataset_date"] == "2024-05-02"


def test_sqs_body_as_string_wrapping_an_s3_notification_and_an_eventbridge_event():
    sfn = Sfn()
    event = {"Records": [
        {"messageId": "m1", "body": json.dumps(s3_notification())},
        {"messageId": "m2", "body": eventbridge_s3(key="incoming/churn/b.csv", eid="e2")},
    ]}
    result = router(item(), sfn=sfn).route(event)
    assert len(result["started"]) == 2 and len(sfn.executions) == 2


def test_sns_message_is_unwrapped():
    sfn = Sfn()
    event = {"Records": [{"Sns": {"MessageId": "s1", "Message": json.dumps(eventbridge_s3())}}]}
    router(item(), sfn=sfn).route(event)
    assert sfn.only()["input"]["run"]["trigger"]["bucket"] == "landing"


def test_same_event_delivered_twice_starts_one_execution():
    sfn = Sfn()
    r = router(item(), sfn=sfn)
    first = r.route(eventbridge_s3())["started"][0]
    second = r.route(eventbridge_s3())["started"][0]
    assert len(sfn.executions) == 1 and sfn.calls == 2
    assert second["duplicate"] and second["name"] == first["name"]
    assert second["executionArn"] == first["executionArn"]


def test_two_different_uploads_of_the_same_key_are_two_runs():
    sfn = Sfn()
    r = router(item(), sfn=sfn)
    r.route(eventbridge_s3(eid="a"))
    r.route(eventbridge_s3(eid="b"))
    assert len(sfn.executions) == 2


def test_unmatched_and_non_created_s3_events_start_nothing():
    sfn = Sfn()
    r = router(item(), sfn=sfn)
    assert r.route(eventbridge_s3(key="other/a.csv"))["started"] == []
    assert r.route(eventbridge_s3(key="incoming/churn/a.json"))["started"] == []
    deleted = {**eventbridge_s3(), "detail-type": "Object Deleted"}
    assert "not 'Object Created'" in r.route(deleted)["ignored"][0]
    assert r.route({"Service": "Amazon S3", "Event": "s3:TestEvent"})["ignored"] == ["S3 test event"]
    assert sfn.executions == {}


def test_one_upload_matching_two_pipelines_starts_both():
    sfn = Sfn()
    other = item("churn-v2")
    router(item(), other, sfn=sfn).route(eventbridge_s3())
    assert sorted(e["input"]["pipeline"] for e in sfn.executions.values()) == ["churn", "churn-v2"]


def test_extra_pattern_on_the_s3_detail():
    sfn = Sfn()
    cfg = item(triggers={"s3": [{"bucket": "landing", "prefix": "incoming/",
                                 "pattern": {"object": {"size": [{"numeric": [">", 10]}]}}}]})
    assert router(cfg, sfn=sfn).route(eventbridge_s3())["started"] == []  # size 5


def test_scheduled_event_maps_rule_to_pipeline_and_passes_schedule_input():
    sfn = Sfn()
    cfg = item(triggers={"schedules": [
        {"expression": "cron(0 14 ? * SAT *)"},
        {"expression": "rate(1 day)", "name": "nightly", "input": {"mode": "full"}},
    ]})
    r = router(cfg, item("unrelated"), sfn=sfn)
    event = {"version": "0", "id": "sched-1", "detail-type": "Scheduled Event",
             "source": "aws.events", "time": "2024-06-01T14:00:00Z",
             "resources": ["arn:aws:events:us-east-1:123:rule/sagestep-churn-schedule-0"],
             "detail": {}}
    r.route(event)
    payload = sfn.only()["input"]
    assert payload["pipeline"] == "churn" and payload["run"]["trigger"]["type"] == "schedule"
    assert payload["run"]["dataset_date"] == "2024-06-01"
    r.route({**event, "id": "sched-2", "resources": ["arn:aws:events:us-east-1:123:rule/nightly"]})
    assert [e["input"]["run"]["params"] for e in sfn.executions.values()][-1] == {"mode": "full"}


def test_scheduled_event_without_rule_is_a_clear_error():
    with pytest.raises(RouterError, match="resources"):
        router(item()).route({"detail-type": "Scheduled Event", "resources": []})


def test_seed000_body_through_the_eventbridge_transformer():
    sfn = Sfn()
    event = {"Records": [{"body": {"consumption_pipeline_name": "churn",
                                   "dataset_date": "2024-03-09T14:00:00Z",
                                   "event_source": "event-bridge"},
                          "eventSource": "event-bridge"}]}
    router(item(), sfn=sfn).route(event)
    assert sfn.only()["input"]["run"]["dataset_date"] == "2024-03-09"


def test_seed000_direct_call_and_lambda_retry_with_same_request_id_is_one_run():
    class Ctx:
        aws_request_id = "req-42"

    sfn = Sfn()
    r = router(item(), sfn=sfn)
    event = {"consumption_pipeline_name": "churn", "dataset_date": "2024-03-09"}
    r.route(event, request_id=Ctx.aws_request_id)
    r.route(event, request_id=Ctx.aws_request_id)
    assert len(sfn.executions) == 1


def test_seed002_config_event_finds_the_config_registered_from_that_object():
    sfn = Sfn()
    cfg = item("demo", source_uri="s3://mlops-bucket/demo/scripts/input.yaml",
               stages={"training": {"run": True, "input": {
                   "OutputDataConfig": {"S3OutputPath": "s3://b/model/SFN_EXECUTION_ID/"}}}})
    r = router(cfg, sfn=sfn)
    r.route({"config": {"bucket": "mlops-bucket", "prefix": "demo/scripts/input.yaml"}},
            request_id="r1")
    payload = sfn.only()["input"]
    path = payload["stages"]["training"]["input"]["OutputDataConfig"]["S3OutputPath"]
    assert path == f"s3://b/model/{payload['run']['execution_name']}/"
    with pytest.raises(RouterError, match="sagestep register s3://mlops-bucket/other.yaml"):
        r.route({"config": {"bucket": "mlops-bucket", "prefix": "other.yaml"}})


def test_manual_event_with_params_and_run_key():
    sfn = Sfn()
    r = router(item(), sfn=sfn)
    r.route({"pipeline": "churn", "dataset_date": "2024-01-31", "run_key": "k1",
             "params": {"threshold": 0.2}, "note": "hi"})
    r.route({"pipeline": "churn", "dataset_date": "2024-01-31", "run_key": "k1"})
    payload = sfn.only()["input"]
    assert payload["run"]["params"] == {"threshold": 0.2, "note": "hi"}
    r.route({"pipeline": "churn", "run_key": "k2"})
    assert len(sfn.executions) == 2
    dates = sorted(e["input"]["run"]["dataset_date"] for e in sfn.executions.values())
    assert dates == ["2023-11-14", "2024-01-31"]  # missing date -> the clock's


def test_placeholder_alone_keeps_its_type():
    sfn = Sfn()
    cfg = item(stages={"gate": {"threshold": "{{ params.threshold }}"}})
    router(cfg, sfn=sfn).route({"pipeline": "churn", "params": {"threshold": 0.25}}, "r")
    assert sfn.only()["input"]["stages"]["gate"]["threshold"] == 0.25


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"hello": 1}, "no known shape matches keys"),
        ([1, 2], "not a JSON object"),
        ("{not json", "not JSON"),
        ({"Records": [{"x": 1}]}, "Records\\[0\\] has none of s3, body, Sns"),
        ({"pipeline": "nope"}, "no pipeline named 'nope' is registered; registered: churn"),
        ({"pipeline": 5}, "'pipeline' must name"),
        ({"config": {"bucket": "b"}}, "needs 'bucket' and 'prefix'"),
        ({"detail-type": "Object Created", "detail": {}}, "lacks detail.bucket.name"),
    ],
)
def test_unroutable_events_raise_router_error_naming_the_problem(event, message):
    with pytest.raises(RouterError, match=message):
        router(item()).route(event)


def test_partial_batch_starts_what_it_can_then_reports():
    sfn = Sfn()
    event = {"Records": [{"body": {"pipeline": "churn"}}, {"body": {"pipeline": "nope"}}]}
    with pytest.raises(RouterError, match=r"nope.*\(started 1 other\)"):
        router(item(), sfn=sfn).route(event, "req")
    assert len(sfn.executions) == 1


def test_other_start_failures_are_router_errors_with_cause():
    class Broken(Sfn):
        def start_execution(self, **kwargs):
            raise RuntimeError("throttled")

    with pytest.raises(RouterError, match="failed: throttled") as info:
        router(item(), sfn=Broken()).route({"pipeline": "churn"}, "r")
    assert isinstance(info.value.__cause__, RuntimeError)


def test_state_machine_from_config_name_or_arn():
    sfn = Sfn()
    r = router(item(state_machine="other"), sfn=sfn)
    r.route({"pipeline": "churn"}, "r")
    assert ":execution:other:" in next(iter(sfn.executions))
    r2 = Router(Configs(item()), Sfn(), "", clock=lambda: NOW)
    with pytest.raises(RouterError, match="SAGESTEP_STATE_MACHINE_ARN"):
        r2.route({"pipeline": "churn"}, "r")


def test_long_pipeline_names_stay_within_limits():
    sfn = Sfn()
    long = "p" * 120
    router(item(long), sfn=sfn).route({"pipeline": long}, "r")
    execution = sfn.only()
    assert len(execution["name"]) <= 80
    assert all(len(v) <= 63 for v in execution["input"]["names"].values())
    assert len(execution["input"]["names"]["tuning"]) <= 29


def test_manual_event_may_name_the_object_it_is_about():
    sfn = Sfn()
    router(item(), sfn=sfn).route({"pipeline": "churn", "object": "s3://landing/in/x.csv"}, "r")
    trigger = sfn.only()["input"]["run"]["trigger"]
    assert (trigger["type"], trigger["uri"], trigger["filename"]) == (
        "manual", "s3://landing/in/x.csv", "x.csv")
    with pytest.raises(RouterError, match="'object' must be an s3://bucket/key URI"):
        router(item()).route({"pipeline": "churn", "object": "landing/x.csv"}, "r")


def test_schedule_rule_with_constant_input_naming_the_pipeline():
    # terraform/modules/sagestep: target input {"pipeline", "trigger": "schedule", **input}
    sfn = Sfn()
    router(item(), sfn=sfn).route({"pipeline": "churn", "trigger": "schedule", "mode": "full"}, "req-1")
    payload = sfn.only()["input"]
    assert payload["run"]["trigger"]["type"] == "schedule"
    assert payload["run"]["params"] == {"mode": "full"}
