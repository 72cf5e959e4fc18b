"""The UI in a real browser over a real workspace: live graph, logs, approval, failure, compare, models."""

from __future__ import annotations

import re

import pytest
from tests.ui.conftest import shoot

pytestmark = pytest.mark.slow


def test_graph_colours_change_live_and_logs_open(site, page):
    ref = site.backend.start_run("slow")
    page.goto(f"{site.url}/runs/{ref.name}")
    node = page.locator('.graph .node[data-stage="preprocessing"]')
    # The page is open while the job runs: the node turns running, then succeeded, no reload.
    page.wait_for_function(
        "document.querySelector('.graph .node[data-stage=preprocessing]').classList.contains('st-RUNNING')",
        timeout=20000)
    assert "running" in node.locator(".state").text_content()
    node.focus()
    page.keyboard.press("Enter")  # keyboard opens the stage panel
    log = page.locator("pre.log")
    log.wait_for()
    page.wait_for_function("document.querySelector('pre.log').textContent.includes('step 1')",
                           timeout=20000)
    shoot(page, "run-running")
    page.wait_for_function(
        "document.querySelector('.graph .node[data-stage=preprocessing]').classList.contains('st-SUCCEEDED')",
        timeout=30000)
    assert "✓ succeeded" in node.locator(".state").text_content()
    page.wait_for_function("document.querySelector('pre.log').textContent.includes('step 7')",
                           timeout=10000)
    # log lines are text, not markup
    assert "<b>not bold</b>" in log.inner_text()
    assert page.locator("pre.log b").count() == 0
    rows = page.locator("#events tbody tr")
    assert rows.count() > 4 and "ExecutionSucceeded" in page.locator("#events").inner_text()
    page.locator("#event-filter").fill("ExecutionSucceeded")
    assert page.locator("#events tbody tr:visible").count() == 1
    shoot(page, "run-succeeded")


def test_approve_a_waiting_run_from_the_page(site, page):
    ref = site.backend.start_run("gated")
    site.wait(ref.name, lambda v: v.waiting_approval)
    page.goto(f"{site.url}/runs/{ref.name}")
    node = page.locator('.graph .node[data-stage="approval"]')
    assert "waiting for approval" in node.text_content()
    assert page.locator("#waiting").is_visible()
    shoot(page, "run-waiting")
    page.locator("[data-action=approve]").click()
    page.locator("#confirm-comment").fill("looks good <script>")
    shoot(page, "approve-dialog", phone=False)
    page.locator("#confirm-ok").click()
    page.wait_for_function(
        "document.querySelector('.graph .node[data-stage=approval]').classList.contains('st-SUCCEEDED')",
        timeout=20000)
    page.wait_for_function("document.body.dataset.runStatus === 'SUCCEEDED'", timeout=20000)
    assert not page.locator("[data-action=approve]").is_visible()
    history = site.backend.history(ref.name)
    assert any("looks good <script>" in str(e) for e in history)


def test_failed_run_shows_its_summary_first(site, page):
    ref = site.backend.start_run("broken")
    site.wait(ref.name, lambda v: v.info.done)
    page.goto(f"{site.url}/runs/{ref.name}")
    summary = page.locator("section.failure")
    text = summary.inner_text()
    assert "Run failed in stage preprocessing" in text
    assert "States.TaskFailed" in text and "AlgorithmError" in text
    # the summary comes before the graph
    assert page.evaluate("""document.querySelector('section.failure').compareDocumentPosition(
        document.querySelector('svg.graph')) & Node.DOCUMENT_POSITION_FOLLOWING""")
    assert "✗ failed" in page.locator('.graph .node[data-stage="preprocessing"]').text_content()
    assert page.locator("[data-action=redrive]").is_visible()
    page.locator('.graph .node[data-stage="preprocessing"]').click()
    page.wait_for_function("document.querySelector('pre.log') && "
                           "document.querySelector('pre.log').textContent.includes('bad data')")
    shoot(page, "run-failed")


def test_runs_list_filters_and_updates_live(site, page):
    broken = site.backend.start_run("broken")
    site.wait(broken.name, lambda v: v.info.done)
    page.goto(f"{site.url}/?pipeline=broken")
    assert page.locator("#runs tbody tr").count() >= 1
    assert all("broken" in t for t in page.locator("#runs tbody td:nth-child(3)").all_inner_texts())
    page.goto(f"{site.url}/")
    before = page.locator("#runs tbody tr").count()
    ref = site.backend.start_run("slow")
    page.locator(f'#runs tr[data-run="{ref.name}"]').wait_for(timeout=10000)
    assert page.locator("#runs tbody tr").count() == before + 1
    page.goto(f"{site.url}/?status=FAILED")
    statuses = page.locator("#runs tbody td:nth-child(2)").all_inner_texts()
    assert statuses and all("failed" in s for s in statuses)
    page.goto(f"{site.url}/")
    shoot(page, "runs")
    site.wait(ref.name, lambda v: v.info.done)


def test_compare_two_runs_and_approve_a_model_version(site, page):
    first = site.backend.start_run("model")
    second = site.backend.start_run("model")
    for ref in (first, second):
        site.wait(ref.name, lambda v: v.info.done)
    page.goto(f"{site.url}/compare?pipeline=model&runs={first.name},{second.name}")
    table = page.locator("#compare")
    assert first.name in table.inner_text() and second.name in table.inner_text()
    row = page.locator("#compare tbody tr", has_text="validation:error").first
    values = [float(v) for v in row.locator("td").all_inner_texts()[:2]]
    assert values == [site.backend.run_metrics(r.name)["validation:error"] for r in (first, second)]
    assert page.locator(".metric-chart circle").count() >= 2
    shoot(page, "compare")
    page.goto(f"{site.url}/models")
    pending = page.locator("#models tbody tr", has_text="PendingManualApproval").first
    arn = pending.get_attribute("data-arn")
    pending.locator("[data-model-action=Approved]").click()
    page.locator("#confirm-ok").click()
    page.locator(f'#models tr[data-arn="{arn}"] .model-status', has_text="Approved").wait_for()
    assert site.backend.model(arn)["ModelApprovalStatus"] == "Approved"
    shoot(page, "models")
    page.goto(f"{site.url}/model?arn={arn}")
    lineage = page.locator(".lineage").inner_text()
    assert re.search(r"model v1", lineage) and "model-" in lineage and "ui-model" in lineage
    shoot(page, "model")
    page.locator(".lineage a", has_text="ui-model").click()
    page.wait_for_url(re.compile(r".*/endpoint\?name=ui-model"))
    assert "InService" in page.locator(".facts").inner_text()
    page.locator("#invoke textarea[name=body]").fill("0.9,0.2\n0.1,0.7")
    page.locator("#invoke button").click()
    page.wait_for_function("document.getElementById('invoke-out').textContent.trim() !== ''")
    predictions = re.split(r"[\s,]+", page.locator("#invoke-out").inner_text().strip())
    assert len(predictions) == 2 and all(0 <= float(p.strip(",[]")) <= 1 for p in predictions)
    shoot(page, "endpoint")


def test_start_a_run_with_parameters_then_stop_and_redrive_it(site, page):
    page.goto(f"{site.url}/")
    page.locator("details.start summary").click()
    page.locator("#start-form select[name=pipeline]").select_option("slow")
    page.locator("#start-form textarea[name=params]").fill('{"market": "<fr>"}')
    page.locator("#start-form button[type=submit]").click()
    page.locator("#confirm-ok").click()  # the confirmation dialog
    page.wait_for_url(re.compile(r".*/runs/slow-.*"))
    name = page.url.rsplit("/", 1)[-1]
    assert site.backend.run_view(name).info.input["run"]["params"] == {"market": "<fr>"}
    assert "market=<fr>" in page.locator(".facts").inner_text()
    page.wait_for_function("document.body.dataset.runStatus === 'RUNNING'")
    page.locator("[data-action=stop]").click()
    page.locator("#confirm-comment").fill("wrong market")
    page.locator("#confirm-ok").click()
    page.wait_for_function("document.body.dataset.runStatus === 'ABORTED'", timeout=20000)
    assert site.backend.describe_run(name).cause == "wrong market"
    page.locator("[data-action=redrive]").wait_for(state="visible")
    page.locator("[data-action=redrive]").click()
    page.locator("#confirm-ok").click()
    # The redrive reaches the engine (ExecutionRedriven) and the page follows the run to its end.
    # (Its outcome is the engine's: today a redriven stopped job fails on ResourceInUse.)
    site.wait(name, lambda v: any(e.get("type") == "ExecutionRedriven" for e in v.events)
              and v.info.done)
    final = site.backend.describe_run(name).status
    page.wait_for_function(f"document.body.dataset.runStatus === '{final}'", timeout=20000)
    assert "ExecutionRedriven" in page.locator("#events").inner_text()


def test_gate_value_against_its_threshold_and_job_metrics(site, page):
    ref = site.backend.start_run("model")
    view = site.wait(ref.name, lambda v: v.info.done)
    assert view.info.status == "SUCCEEDED"
    value = site.backend.run_metrics(ref.name)["validation:error"]
    page.goto(f"{site.url}/runs/{ref.name}")
    page.locator('.graph .node[data-stage="gate"]').click()
    gate = page.locator("p.gate")
    assert gate.inner_text() == f"✓ validation:error = {value:g} vs threshold 0.5 (less_than)"
    page.locator('.graph .node[data-stage="training"]').click()
    page.locator(".metrics", has_text="validation:error").wait_for()
    assert f"validation:error = {value:g}" in page.locator(".metrics").inner_text()
    page.locator("summary", has_text="Output JSON").click()  # loaded when opened
    assert "FinalMetricDataList" in page.locator("details[open] pre.json").last.inner_text()
    shoot(page, "run-stage-panel")
