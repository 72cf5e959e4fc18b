"""The UI's JSON endpoints: reads the page script polls, and the actions (POST only).

Each handler is one Backend call plus shaping; rules (what "waiting" means, which token
answers an approval, how a stage's status is derived) live in the backend. Errors come back
as ``{"error": message}`` with the backend's own words (Studio complaint #230: show the
real AccessDenied, not "error loading").
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sagestep.ui import pages

MAX_IO_CHARS = 256 * 1024  # larger input/output is cut and flagged, not shipped whole


def error_message(exc: Exception) -> str:
    """The backend's own words: an AWS error's code and message, or a sagestep error."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and "Error" in response:
        err = response["Error"]
        return f"{err.get('Code')}: {err.get('Message')}"
    return str(exc) or type(exc).__name__


def error_response(exc: Exception) -> JSONResponse:
    return JSONResponse({"error": error_message(exc)}, status_code=400)


def parse_date(text: str | None, field: str) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    except ValueError as exc:
        raise ValueError(f"{field}: {text!r} is not a date (use YYYY-MM-DD)") from exc


def filters(request: Request) -> dict[str, Any]:
    params = request.query_params
    until = parse_date(params.get("until"), "until")
    if until is not None and len(params.get("until", "")) == 10:
        until = until.replace(hour=23, minute=59, second=59)
    try:
        offset = max(0, int(params.get("offset") or 0))
    except ValueError as exc:
        raise ValueError("offset must be a whole number") from exc
    return {"pipeline": params.get("pipeline") or None, "status": params.get("status") or None,
            "since": parse_date(params.get("since"), "since"), "until": until, "offset": offset}


def make(backend: Any) -> dict[str, Callable[[Request], Any]]:
    """Handlers bound to ``backend`` (sync: Starlette runs them on its thread pool)."""

    def guarded(handler: Callable[[Request], Any]) -> Callable[[Request], Any]:
        def run(request: Request) -> Any:
            try:
                return handler(request)
            except Exception as exc:  # noqa: BLE001 - every backend error goes to the page
                return error_response(exc)
        return run

    def runs(request: Request) -> JSONResponse:
        page = backend.runs_page(**filters(request), limit=50)
        return JSONResponse({
            "rows": [pages.run_row(request.scope.get("root_path", ""), i) for i in page.runs],
            "next_offset": page.next_offset})

    async def start(request: Request) -> JSONResponse:
        form = await request.json()
        params = form.get("params") or {}
        if isinstance(params, str):
            try:
                params = json.loads(params or "{}")
            except ValueError as exc:
                return JSONResponse({"error": f"parameters are not JSON: {exc}"}, status_code=400)
        if not isinstance(params, dict):
            return JSONResponse({"error": "parameters must be a JSON object"}, status_code=400)
        try:
            ref = backend.start_run(str(form.get("pipeline") or ""),
                                    dataset_date=form.get("dataset_date") or None, params=params)
        except Exception as exc:  # noqa: BLE001
            return error_response(exc)
        return JSONResponse({"run": ref.name, "duplicate": ref.duplicate})

    def view(request: Request) -> JSONResponse:
        after = int(request.query_params.get("after") or 0)
        found = backend.run_view(request.path_params["run"], after)
        data = found.to_dict()
        data["duration"] = pages.duration(found.info.start, found.info.stop)
        data["status_html"] = pages.run_status(data["info"]["status"])
        data["failure_html"] = pages.failure_box(data["failure"])
        data["event_rows"] = [pages.event_tr(row) for row in data.pop("events")]
        return JSONResponse(_no_io(data))

    def export(request: Request) -> Response:
        run = request.path_params["run"]
        body = {"run": backend.run_view(run).info.to_dict(), "history": backend.history(run)}
        return Response(json.dumps(body, indent=2, default=str), media_type="application/json",
                        headers={"Content-Disposition": f'attachment; filename="{run}.json"'})

    def stage(request: Request) -> JSONResponse:
        run, name = request.path_params["run"], request.path_params["stage"]
        detail = backend.stage_detail(run, name)
        view = backend.run_view(run, 1 << 62)
        jobs = next((list(s.jobs) for s in view.stages if s.stage == name), [])
        out = asdict(detail)
        out["input"], out["input_cut"] = _sized(detail.input)
        out["output"], out["output_cut"] = _sized(detail.output)
        out["jobs"] = jobs
        out["console"] = {job: console_url(backend, detail.job_kind, job) for job in jobs}
        out["running"] = not view.info.done
        return JSONResponse(out)

    def job(request: Request) -> JSONResponse:
        described = backend.describe_job(request.path_params["stage"], request.path_params["job"])
        return JSONResponse(json.loads(json.dumps(described, default=str)))

    def logs(request: Request) -> JSONResponse:
        tail_text = request.query_params.get("tail", "200")
        tail = None if tail_text == "all" else max(1, int(tail_text))
        lines, total = backend.job_logs(request.path_params["job"], tail)
        return JSONResponse({"lines": lines, "total": total})

    async def act(request: Request) -> JSONResponse:
        body = await _json(request)
        run, action = request.path_params["run"], request.path_params["action"]
        comment = str(body.get("comment") or "")
        calls = {"approve": lambda: backend.approve(run, comment),
                 "reject": lambda: backend.reject(run, comment),
                 "stop": lambda: backend.stop_run(run, comment),
                 "redrive": lambda: backend.redrive_run(run)}
        if action not in calls:
            return JSONResponse({"error": f"unknown action {action!r}"}, status_code=404)
        try:
            calls[action]()
        except Exception as exc:  # noqa: BLE001
            return error_response(exc)
        return JSONResponse({"ok": True, "action": action})

    async def model_status(request: Request) -> JSONResponse:
        body = await _json(request)
        status = str(body.get("status") or "")
        if status not in ("Approved", "Rejected", "PendingManualApproval"):
            return JSONResponse({"error": f"status {status!r}: use Approved or Rejected"},
                                status_code=400)
        try:
            described = backend.approve_model(str(body.get("arn") or ""), status)
        except Exception as exc:  # noqa: BLE001
            return error_response(exc)
        return JSONResponse({"status": described.get("ModelApprovalStatus")})

    async def invoke(request: Request) -> JSONResponse:
        body = await _json(request)
        try:
            answer = backend.invoke(request.path_params["endpoint"],
                                    str(body.get("body") or "").encode(),
                                    str(body.get("content_type") or "text/csv"))
        except Exception as exc:  # noqa: BLE001
            return error_response(exc)
        return JSONResponse({"body": answer.decode("utf-8", "replace")})

    return {"runs": guarded(runs), "start": start, "view": guarded(view),
            "export": guarded(export), "stage": guarded(stage), "job": guarded(job),
            "logs": guarded(logs), "act": act, "model_status": model_status, "invoke": invoke}


CONSOLE_PATHS = {"processing": "processing-jobs", "training": "jobs",
                 "tuning": "hyper-tuning-jobs", "transform": "transform-jobs"}


def console_url(backend: Any, kind: str, job: str) -> str:
    """The AWS console page of a SageMaker job (empty for the local backend)."""
    region = getattr(getattr(backend, "settings", None), "region", None)
    if getattr(backend, "kind", "") != "aws" or not region or kind not in CONSOLE_PATHS:
        return ""
    return (f"https://{region}.console.aws.amazon.com/sagemaker/home?region={region}"
            f"#/{CONSOLE_PATHS[kind]}/{quote(job, safe='')}")


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _sized(value: Any) -> tuple[Any, bool]:
    text = json.dumps(value, default=str)
    if len(text) <= MAX_IO_CHARS:
        return value, False
    return text[:MAX_IO_CHARS], True


def _no_io(data: dict[str, Any]) -> dict[str, Any]:
    # The run's own input/output can be large; the poll needs neither (export has them).
    info = dict(data["info"])
    info.pop("input", None)
    info.pop("output", None)
    data["info"] = info
    return data
