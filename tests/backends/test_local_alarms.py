"""Registering a config with promotion targets stores its rollback alarms' local thresholds,
under the names its UpdateEndpoint DeploymentConfig carries."""

from __future__ import annotations

from sagestep.backends.local import LocalBackend
from sagestep.sagemaker.guardrails import Alarm
from sagestep.serving.rollout import RolloutTable
from tests.serving.helpers import ROLE, XGB_IMAGE

CONFIG = f"""
name: promo-alarms
defaults: {{role_arn: "{ROLE}"}}
stages:
  create_model:
    image: "{XGB_IMAGE}"
    model_data: s3://models/promo/model.tar.gz
promotion:
  targets:
    - name: prod
      endpoint_name: alarm-prod
      deployment:
        strategy: CANARY
        alarms: {{error_rate: 0.2, p99_latency_ms: 250, min_requests: 3}}
"""


def test_register_resolves_the_target_alarm_names_to_its_thresholds(tmp_path) -> None:
    path = tmp_path / "promo.yaml"
    path.write_text(CONFIG)
    backend = LocalBackend(tmp_path / "ws")
    try:
        backend.register(path)
        item = backend.registry.get("promo-alarms")
        update = item["promotion"]["targets"][0]["update"]["DeploymentConfig"]
        alarms = RolloutTable(backend.runtime.workspace.db_path).alarms(update)
    finally:
        backend.runtime.engine.close()
    assert alarms == [Alarm("alarm-prod-5xx-errors", error_rate=0.2, min_requests=3),
                      Alarm("alarm-prod-p99-latency", p99_latency_ms=250.0, min_requests=3)]
    assert alarms[0].breached({"requests": 3, "errors": 1})
    assert RolloutTable(tmp_path / "ws" / "x.db").alarms(
        {"AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "other-5xx-errors"},
                                                   {"AlarmName": "cloudwatch-only"}]}}) == [
        Alarm("other-5xx-errors", error_rate=0.05)]
