"""The UI over AwsBackend (`sagestep ui --backend aws`), against a moto stack on loopback."""

from __future__ import annotations

from typing import Any

from tests.backends.test_aws import EXAMPLE, _backend, stack  # noqa: F401
from tests.ui.conftest import Client, served

from sagestep.ui.app import create_app

TOKEN = "aws-token"


def test_runs_run_page_and_stop_over_the_aws_backend(stack):  # noqa: F811
    backend = _backend(stack)
    backend.register(EXAMPLE)
    ref = backend.start_run("xgboost-breast-cancer", params={"market": "fr"})
    with served(create_app(backend, token=TOKEN)) as port:
        _exercise(Client(port), backend, ref)


def _exercise(client: Client, backend: Any, ref: Any) -> None:
    listing = client.get("/?pipeline=xgboost-breast-cancer")
    assert listing.status_code == 200 and ref.name in listing.text and "market=fr" in listing.text
    page = client.get(f"/runs/{ref.name}")
    assert page.status_code == 200 and 'data-stage="training"' in page.text
    view = client.get(f"/api/runs/{ref.name}/view").json()
    assert view["info"]["status"] == "RUNNING" and view["info"]["name"] == ref.name
    stage = client.get(f"/api/runs/{ref.name}/stages/training").json()
    assert stage["jobs"] == [] and stage["job_kind"] == "training"  # not started under moto
    stopped = client.post(f"/api/runs/{ref.name}/stop", json={"comment": "from the UI"},
                          headers={"X-CSRF-Token": TOKEN})
    assert stopped.json() == {"ok": True, "action": "stop"}
    assert backend.describe_run(ref.name).status == "ABORTED"
    assert client.get("/models").status_code == 200
    assert client.get("/endpoints").status_code == 200
