"""Smoke test against a real local endpoint: answers, status codes, latency, expected outputs."""

from __future__ import annotations

import pytest

from sagestep.pipeline.smoke import SmokeTestFailed, run

pytestmark = pytest.mark.slow


def test_smoke_test_passes_a_good_endpoint_and_names_each_bad_answer(tmp_path):
    from sagestep.local import client
    from tests.serving.helpers import breast_cancer, create_xgboost_model, variant

    home = tmp_path / "ws"
    sm = create_xgboost_model(home, "m", rounds=3)
    sm.create_endpoint_config(EndpointConfigName="cfg", ProductionVariants=[variant("m")])
    sm.create_endpoint(EndpointName="ep", EndpointConfigName="cfg")
    try:
        sm.wait_for_endpoint(EndpointName="ep", Timeout=120)
        rt = client("sagemaker-runtime", home=home)
        x, _ = breast_cancer()
        rows = [",".join(f"{v:.6g}" for v in x[i]) for i in range(3)]
        report = run({"payloads": rows, "max_latency_ms": 5000}, "ep", rt)
        assert report["invocations"] == 3 and report["failed"] == 0
        answers = [r["response"] for r in report["results"]]
        assert all(0 <= float(a) <= 1 for a in answers)
        # the same answers as expected outputs pass; a wrong one fails, naming the payload
        assert run({"payloads": rows, "expected": answers}, "ep", rt)["failed"] == 0
        with pytest.raises(SmokeTestFailed, match=r"1 of 3 invocations failed: payload 1: "
                                                  r"answered '.*', expected '7'"):
            run({"payloads": rows, "expected": [answers[0], "7", answers[2]]}, "ep", rt)
        with pytest.raises(SmokeTestFailed, match="payload 0: status 4"):
            run({"payloads": ["not,numbers"]}, "ep", rt)
        with pytest.raises(SmokeTestFailed, match=r"took .* ms \(limit 0.001 ms\)"):
            run({"payloads": rows[:1], "max_latency_ms": 0.001}, "ep", rt)
        # the dataset's first lines stand in for payloads
        data = "\n".join(rows) + "\n"
        report = run({"dataset": "s3://b/test.csv", "max_records": 2}, "ep", rt,
                     read_text=lambda uri: data)
        assert report["invocations"] == 2
        with pytest.raises(SmokeTestFailed, match="payload 0: status 4"):
            run({"payloads": rows[:1]}, "no-such-endpoint", rt)
    finally:
        sm.delete_endpoint(EndpointName="ep")

