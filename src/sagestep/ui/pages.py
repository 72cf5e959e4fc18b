"""HTML pages, rendered on the server so the first paint needs no script and no JSON round trip.

Every value that comes from a config, a run, a model or a log is escaped with ``e()``; the
page script only ever writes text with ``textContent``. Times are absolute (UTC, ISO) with
the relative age as a title, not the other way round (SageMaker Studio complaint #81).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from html import escape
from typing import Any
from urllib.parse import quote, urlencode

from sagestep.ui import graph

STATUSES = ("RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE")
RUN_STATUS_TEXT = {"RUNNING": "▶ running", "SUCCEEDED": "✓ succeeded", "FAILED": "✗ failed",
                   "TIMED_OUT": "⊗ timed out", "ABORTED": "■ aborted",
                   "PENDING_REDRIVE": "↻ redriving"}


def e(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def q(value: Any) -> str:
    return quote(str(value), safe="")


def when(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def duration(start: datetime | None, stop: datetime | None) -> str:
    if start is None:
        return ""
    end = stop or datetime.now(UTC)
    seconds = max(0.0, (end - start).total_seconds())
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, sec = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{sec:02d}s"


def run_status(status: str) -> str:
    return (f'<span class="badge st-{e(status)}">'
            f'{e(RUN_STATUS_TEXT.get(status, status.lower()))}</span>')


def layout(prefix: str, token: str, title: str, page: str, body: str, data: str = "") -> str:
    nav = "".join(
        f'<a href="{prefix}/{href}"{" aria-current=page" if name == page else ""}>{label}</a>'
        for name, href, label in (("runs", "", "Runs"), ("compare", "compare", "Compare"),
                                  ("models", "models", "Models"),
                                  ("endpoints", "endpoints", "Endpoints")))
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width, initial-scale=1">'
        f'<meta name=csrf-token content="{e(token)}"><title>{e(title)} · sagestep</title>'
        f'<link rel=stylesheet href="{prefix}/static/app.css"></head>'
        f'<body data-page="{e(page)}" data-prefix="{e(prefix)}" {data}>'
        '<a class=skip href="#main">Skip to content</a>'
        f'<header><a class=brand href="{prefix}/">sagestep</a><nav aria-label=main>{nav}</nav>'
        "</header>"
        f'<main id=main tabindex="-1"><h1>{e(title)}</h1>{body}</main>'
        f'<script src="{prefix}/static/app.js" defer></script></body></html>'
    )


def runs_body(prefix: str, page: Any, filters: Mapping[str, str]) -> str:
    options = "".join(
        f'<option value="{e(p)}"{" selected" if filters.get("pipeline") == p else ""}>{e(p)}</option>'
        for p in page.pipelines)
    statuses = "".join(
        f'<option value="{s}"{" selected" if filters.get("status") == s else ""}>{s.lower()}</option>'
        for s in STATUSES)
    form = (
        f'<form class=filters method=get action="{prefix}/" aria-label="filter runs">'
        f'<label>Pipeline <select name=pipeline><option value="">all</option>{options}</select></label>'
        f'<label>Status <select name=status><option value="">any</option>{statuses}</select></label>'
        f'<label>From <input type=date name=since value="{e(filters.get("since", ""))}"></label>'
        f'<label>To <input type=date name=until value="{e(filters.get("until", ""))}"></label>'
        "<button>Filter</button></form>")
    start = (
        '<details class=start><summary>Start a run</summary>'
        '<form id=start-form><label>Pipeline <select name=pipeline required>'
        + "".join(f'<option value="{e(p)}">{e(p)}</option>' for p in page.pipelines)
        + '</select></label><label>Dataset date <input name=dataset_date placeholder=YYYY-MM-DD>'
        '</label><label>Parameters (JSON) <textarea name=params rows=2>{}</textarea></label>'
        '<button type=submit>Start…</button></form></details>')
    rows = "".join(run_row(prefix, info) for info in page.runs)
    pager = []
    keep = {k: v for k, v in filters.items() if v}
    if page.offset:
        prev = urlencode({**keep, "offset": max(0, page.offset - 50)})
        pager.append(f'<a rel=prev href="{prefix}/?{prev}">← Newer</a>')
    if page.next_offset is not None:
        nxt = urlencode({**keep, "offset": page.next_offset})
        pager.append(f'<a rel=next href="{prefix}/?{nxt}">Older →</a>')
    return (
        form + start
        + '<div class=table-wrap><table id=runs><caption class=sr>runs, newest first</caption><thead><tr>'
        "<th scope=col>Run</th><th scope=col>Status</th><th scope=col>Pipeline</th>"
        "<th scope=col>Config</th><th scope=col>Trigger</th><th scope=col>Params</th>"
        "<th scope=col>Start (UTC)</th>"
        f"<th scope=col>Duration</th></tr></thead><tbody>{rows}</tbody></table></div>"
        + ('<p class=empty>No runs match.</p>' if not page.runs else "")
        + f'<nav class=pager aria-label=pages>{" ".join(pager)}</nav>'
        + '<p class=live aria-live=polite id=live-note></p>' + dialog())


def trigger_of(info: Any) -> str:
    """What started a run: "manual", "s3 s3://bucket/key", "schedule rule-name"."""
    payload = info.input if isinstance(info.input, Mapping) else {}
    run = payload.get("run")
    trigger = payload.get("trigger") or (run.get("trigger") if isinstance(run, Mapping) else None)
    if not isinstance(trigger, Mapping):
        return str(trigger or "manual")
    kind = str(trigger.get("type") or "manual")
    where = trigger.get("uri") or trigger.get("rule") or ""
    return f"{kind} {where}".strip()


def params_of(info: Any) -> str:
    """A run's parameters as ``k=v`` pairs (users find "the run for X" by them)."""
    payload = info.input if isinstance(info.input, Mapping) else {}
    run = payload.get("run") if isinstance(payload.get("run"), Mapping) else {}
    params = run.get("params") if isinstance(run, Mapping) else None
    if not isinstance(params, Mapping) or not params:
        return ""
    return " ".join(f"{k}={json.dumps(v) if not isinstance(v, str) else v}"
                    for k, v in sorted(params.items()))[:200]


def run_row(prefix: str, info: Any) -> str:
    return (
        f'<tr data-run="{e(info.name)}"><td><a href="{prefix}/runs/{q(info.name)}">{e(info.name)}</a></td>'
        f"<td>{run_status(info.status)}</td><td>{e(info.pipeline)}</td>"
        f"<td>{'v' + e(info.config_version) if info.config_version is not None else ''}</td>"
        f"<td>{e(trigger_of(info))}</td><td>{e(params_of(info))}</td>"
        f"<td><time>{e(when(info.start))}</time></td>"
        f"<td>{e(duration(info.start, info.stop))}</td></tr>")


def run_body(prefix: str, view: Any) -> str:
    info = view.info
    stages = [(s.stage, s.status) for s in view.stages]
    summary = failure_box(view.failure)
    actions = (
        '<div class=actions role=toolbar aria-label="run actions">'
        f'<button data-action=approve data-confirm="Approve run {e(info.name)}?" data-comment=1 '
        f'{"" if view.waiting_approval else "hidden"}>✓ Approve…</button>'
        f'<button data-action=reject data-confirm="Reject run {e(info.name)}?" data-comment=1 '
        f'{"" if view.waiting_approval else "hidden"}>✗ Reject…</button>'
        f'<button data-action=stop data-confirm="Stop run {e(info.name)}?" data-comment=1 '
        f'{"" if info.status == "RUNNING" else "hidden"}>■ Stop…</button>'
        f'<button data-action=redrive data-confirm="Redrive run {e(info.name)} from where it stopped?" '
        f'{"" if info.status in ("FAILED", "TIMED_OUT", "ABORTED") else "hidden"}>↻ Redrive…</button>'
        f'<a class=button href="{prefix}/api/runs/{q(info.name)}/export" download>Export JSON</a></div>')
    facts = (
        "<dl class=facts>"
        f"<dt>Status</dt><dd id=run-status>{run_status(info.status)}</dd>"
        f"<dt>Pipeline</dt><dd><a href=\"{prefix}/?pipeline={q(info.pipeline)}\">{e(info.pipeline)}</a>"
        f" v{e(info.config_version)}</dd>"
        f"<dt>Trigger</dt><dd>{e(trigger_of(info))}</dd>"
        f"<dt>Params</dt><dd>{e(params_of(info)) or 'none'}</dd>"
        f"<dt>Started</dt><dd><time>{e(when(info.start))}</time> UTC</dd>"
        f"<dt>Duration</dt><dd id=run-duration>{e(duration(info.start, info.stop))}</dd>"
        f"<dt>ARN</dt><dd class=mono>{e(info.arn)}</dd></dl>")
    table = "".join(stage_row(s) for s in view.stages)
    events = "".join(event_tr(row) for row in view.to_dict()["events"])
    return (
        f'<div id=failure aria-live=polite>{summary}</div>'
        f'<p id=waiting class=waiting {"" if view.waiting_approval else "hidden"}>'
        '‖ This run is waiting for approval.</p>'
        + actions + facts
        + '<div class=run-grid><section aria-label=graph class=graph-box>'
        + graph.svg(stages)
        + '</section><section id=panel class=panel aria-live=polite aria-label="stage details">'
        '<p class=hint>Select a stage (click, or Tab then Enter) to see its jobs, input, output, '
        'attempts, logs and metrics.</p></section></div>'
        '<h2>Stages</h2><div class=table-wrap><table id=stages><thead><tr><th scope=col>Stage</th>'
        '<th scope=col>Status</th><th scope=col>Duration</th><th scope=col>Jobs</th>'
        f'<th scope=col>Failed attempts</th></tr></thead><tbody>{table}</tbody></table></div>'
        '<h2>Event history</h2><label>Filter events <input id=event-filter type=search '
        'placeholder="type, state or detail"></label><div class=table-wrap><table id=events><thead><tr>'
        '<th scope=col>#</th><th scope=col>Time (UTC)</th><th scope=col>Type</th><th scope=col>State</th>'
        f'<th scope=col>Detail</th></tr></thead><tbody>{events}</tbody></table></div>'
        + dialog())


def failure_box(failure: Mapping[str, str] | None) -> str:
    if not failure:
        return ""
    return (
        '<section class=failure role=alert aria-label="failure summary"><h2>✗ Run failed'
        f'{" in stage " + e(failure.get("stage")) if failure.get("stage") else ""}</h2>'
        f'<p><strong>{e(failure.get("error"))}</strong></p><pre>{e(failure.get("cause"))}</pre></section>')


def stage_row(s: Any) -> str:
    seconds = f"{s.ended - s.started:.1f}s" if s.started and s.ended else ""
    return (f'<tr data-stage="{e(s.stage)}"><th scope=row>{e(s.stage)}</th>'
            f'<td class="st-{e(s.status)}">{e(graph.status_label(s.status))}</td>'
            f"<td>{e(seconds)}</td><td>{e(', '.join(s.jobs))}</td><td>{s.failed_attempts}</td></tr>")


def event_tr(row: Mapping[str, Any]) -> str:
    at = str(row["at"])
    return (f"<tr><td>{e(row['id'])}</td><td><time title=\"{e(at)}\">{e(at[11:23])}</time></td>"
            f"<td>{e(row['type'])}</td>"
            f"<td>{e(row['name'])}</td><td>{e(row['detail'])}</td></tr>")


def dialog() -> str:
    return (
        '<dialog id=confirm aria-labelledby=confirm-title><form method=dialog>'
        '<h2 id=confirm-title></h2><label id=confirm-comment-label>Comment '
        '<textarea id=confirm-comment rows=3></textarea></label>'
        '<menu><button value=cancel>Cancel</button>'
        '<button value=ok id=confirm-ok class=primary>Confirm</button></menu></form></dialog>')


def compare_body(prefix: str, pipeline: str, pipelines: Sequence[str],
                 rows: Sequence[tuple[Any, Mapping[str, float]]], chart: str,
                 wanted: str = "") -> str:
    options = "".join(
        f'<option value="{e(p)}"{" selected" if p == pipeline else ""}>{e(p)}</option>'
        for p in pipelines)
    names = sorted({m for _, metrics in rows for m in metrics})
    head = "".join(f'<th scope=col><a href="{prefix}/runs/{q(i.name)}">{e(i.name)}</a>'
                   f"<br>{run_status(i.status)}</th>" for i, _ in rows)
    body = []
    for name in names:
        values = [metrics.get(name) for _, metrics in rows]
        present = [v for v in values if v is not None]
        best = min(present) if present else None
        cells = "".join(
            f'<td{" class=best" if v is not None and v == best and len(present) > 1 else ""}>'
            f'{"" if v is None else f"{v:.6g}"}</td>' for v in values)
        spread = f"{max(present) - min(present):.3g}" if len(present) > 1 else ""
        body.append(f"<tr><th scope=row>{e(name)}</th>{cells}<td>{e(spread)}</td></tr>")
    table = (
        '<div class=table-wrap><table id=compare><thead><tr><th scope=col>Metric</th>'
        f"{head}<th scope=col>max − min</th></tr></thead><tbody>{''.join(body)}</tbody></table></div>"
        if rows else "<p class=empty>No runs with metrics to compare.</p>")
    return (
        f'<form class=filters method=get action="{prefix}/compare"><label>Pipeline <select '
        f'name=pipeline>{options}</select></label><label>Runs (names, comma-separated; empty: '
        f'last 20) <input name=runs size=40 value="{e(wanted)}"></label><button>Compare</button></form>'
        + table + f'<h2>Metrics over time</h2><div class=chart>{chart}</div>')


def models_body(prefix: str, versions: Sequence[Mapping[str, Any]]) -> str:
    rows = []
    for v in versions:
        arn = str(v.get("ModelPackageArn", ""))
        status = str(v.get("ModelApprovalStatus", ""))
        rows.append(
            f'<tr data-arn="{e(arn)}"><td>{e(v.get("ModelPackageGroupName"))}</td>'
            f'<td><a href="{prefix}/model?arn={q(arn)}">v{e(v.get("ModelPackageVersion"))}</a></td>'
            f'<td class=model-status>{e(_approval_text(status))}</td>'
            f'<td>{_run_link(prefix, v.get("Run"))}</td><td>{e(_metric_text(v.get("Metrics")))}</td>'
            f'<td><time>{e(when(v.get("CreationTime")))}</time></td>'
            f"<td>{model_buttons(arn, status)}</td></tr>")
    return (
        '<div class=table-wrap><table id=models><thead><tr><th scope=col>Group</th>'
        '<th scope=col>Version</th><th scope=col>Status</th><th scope=col>Run</th>'
        '<th scope=col>Metrics</th><th scope=col>Created (UTC)</th>'
        f'<th scope=col>Actions</th></tr></thead><tbody>{"".join(rows)}</tbody></table></div>'
        + ("<p class=empty>No model packages yet.</p>" if not versions else "") + dialog())


def _run_link(prefix: str, run: Any) -> str:
    return f'<a href="{prefix}/runs/{q(run)}">{e(run)}</a>' if run else ""


def _metric_text(metrics: Any) -> str:
    if not isinstance(metrics, Mapping):
        return ""
    return ", ".join(f"{k} = {v:.4g}" for k, v in sorted(metrics.items()) if not k.startswith("gate:"))


def _approval_text(status: str) -> str:
    icon = {"Approved": "✓", "Rejected": "✗", "PendingManualApproval": "‖"}.get(status, "?")
    return f"{icon} {status}"


def model_buttons(arn: str, status: str) -> str:
    out = []
    if status != "Approved":
        out.append(f'<button data-model-action=Approved data-arn="{e(arn)}" '
                   f'data-confirm="Approve model package {e(arn)}?">Approve…</button>')
    if status != "Rejected":
        out.append(f'<button data-model-action=Rejected data-arn="{e(arn)}" '
                   f'data-confirm="Reject model package {e(arn)}?">Reject…</button>')
    return " ".join(out)


def model_body(prefix: str, described: Mapping[str, Any], lineage: Mapping[str, Any],
               metrics: Mapping[str, float]) -> str:
    arn = str(described.get("ModelPackageArn", ""))
    status = str(described.get("ModelApprovalStatus", ""))
    run = lineage.get("run") or ""
    chain = (
        '<ol class=lineage aria-label=lineage>'
        f'<li>config <a href="{prefix}/?pipeline={q(lineage.get("pipeline"))}">'
        f'{e(lineage.get("pipeline"))} v{e(lineage.get("config_version"))}</a></li>'
        f'<li>run {f"<a href={chr(34)}{prefix}/runs/{q(run)}{chr(34)}>{e(run)}</a>" if run else "?"}</li>'
        f'<li>model package <span class=mono>{e(arn)}</span></li>'
        '<li>endpoints '
        + (", ".join(f'<a href="{prefix}/endpoint?name={q(n)}">{e(n)}</a>'
                     for n in lineage.get("endpoints", [])) or "none")
        + "</li></ol>")
    mrows = "".join(f"<tr><th scope=row>{e(k)}</th><td>{v:.6g}</td></tr>" for k, v in metrics.items())
    return (
        f'<p class=model-status data-arn="{e(arn)}">{e(_approval_text(status))}</p>'
        f'<div class=actions>{model_buttons(arn, status)}</div><h2>Lineage</h2>{chain}'
        f'<h2>Metrics</h2><table id=model-metrics><tbody>{mrows}</tbody></table>'
        f"<h2>Description</h2><pre class=json>{e(json.dumps(described, indent=2, default=str))}</pre>"
        + dialog())


def endpoints_body(prefix: str, endpoints: Iterable[Mapping[str, Any]]) -> str:
    rows = "".join(
        f'<tr><td><a href="{prefix}/endpoint?name={q(ep.get("EndpointName"))}">'
        f'{e(ep.get("EndpointName"))}</a></td><td>{e(ep.get("EndpointStatus"))}</td>'
        f'<td><time>{e(when(ep.get("LastModifiedTime")))}</time></td></tr>' for ep in endpoints)
    return ('<div class=table-wrap><table id=endpoints><thead><tr><th scope=col>Endpoint</th>'
            '<th scope=col>Status</th><th scope=col>Updated (UTC)</th></tr></thead>'
            f"<tbody>{rows}</tbody></table></div>")


def endpoint_body(prefix: str, described: Mapping[str, Any]) -> str:
    name = str(described.get("EndpointName", ""))
    variants = "".join(
        f"<tr><td>{e(v.get('VariantName'))}</td><td>{e(v.get('CurrentWeight'))}</td>"
        f"<td>{e(v.get('CurrentInstanceCount'))}</td></tr>"
        for v in described.get("ProductionVariants", []) or [])
    packages = "".join(f'<li><a href="{prefix}/model?arn={q(a)}">{e(a)}</a></li>'
                       for a in described.get("ModelPackages", []))
    return (
        f"<dl class=facts><dt>Status</dt><dd>{e(described.get('EndpointStatus'))}</dd>"
        f"<dt>Config</dt><dd>{e(described.get('EndpointConfigName'))}</dd></dl>"
        '<h2>Variants</h2><table id=variants><thead><tr><th scope=col>Variant</th>'
        f'<th scope=col>Weight</th><th scope=col>Instances</th></tr></thead><tbody>{variants}</tbody></table>'
        f"<h2>Models</h2><ul>{''.join(f'<li>{e(m)}</li>' for m in described.get('Models', []))}</ul>"
        f"<h2>Model packages</h2><ul>{packages or '<li>none named by its models</li>'}</ul>"
        f'<h2>Test invoke</h2><form id=invoke data-endpoint="{e(name)}">'
        '<label>Content type <input name=content_type value="text/csv"></label>'
        '<label>Body <textarea name=body rows=4></textarea></label>'
        '<button type=submit>Invoke</button></form><pre id=invoke-out aria-live=polite></pre>')


def error_body(message: str) -> str:
    return f'<p class=error role=alert>{e(message)}</p>'
