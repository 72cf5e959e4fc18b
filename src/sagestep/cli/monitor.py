"""``sagestep monitor report RUN``: a run's monitoring checks as tables."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from sagestep.cli import options
from sagestep.cli.pipeline import out

monitor_app = typer.Typer(help="Monitoring reports: baselines, data and model quality.",
                          no_args_is_help=True)


@monitor_app.command("report")
def report(
    run: str = typer.Argument(..., help="Execution name or ARN."),
    home: str = options.HomeOption, backend: str = options.BackendOption,
    profile: str = options.ProfileOption, region: str = options.RegionOption,
) -> None:
    """Print each monitoring check's verdict, violations and statistics."""
    from sagestep.backends.monitoring import reports

    chosen = options.backend_from_options(backend, home, profile, region)
    info = chosen.describe_run(run)
    console = out()
    found = reports(chosen, info)
    if not found:
        console.print(f"{info.name}: no monitoring stages ran in this run")
        return
    for item in found:
        console.print(f"{item.stage}: {item.verdict}  ({item.output})", markup=False)
        if item.violations:
            table = Table("feature / metric", "check", "description")
            for v in item.violations:
                table.add_row(str(v.get("feature_name") or v.get("metric_name") or ""),
                              str(v.get("constraint_check_type", "")), str(v.get("description", "")))
            console.print(table)
        if item.statistics:
            console.print(statistics_table(item.statistics))


def statistics_table(stats: dict[str, Any]) -> Table:
    """Data-quality features or model-quality metrics as one table."""
    features = stats.get("features")
    if isinstance(features, list):
        table = Table("feature", "type", "present", "missing", "mean", "min", "max", "distinct")
        for f in features:
            num = f.get("numerical_statistics") or {}
            text = f.get("string_statistics") or {}
            common = (num or text).get("common") or {}
            table.add_row(str(f.get("name")), str(f.get("inferred_type")),
                          str(common.get("num_present", "")), str(common.get("num_missing", "")),
                          _num(num.get("mean")), _num(num.get("min")), _num(num.get("max")),
                          _num(text.get("distinct_count")))
        return table
    table = Table("metric", "value", "standard deviation")
    for key, block in stats.items():
        if key.endswith("_metrics") and isinstance(block, dict):
            for name, metric in block.items():
                if isinstance(metric, dict) and "value" in metric:
                    table.add_row(name, _num(metric["value"]), _num(metric.get("standard_deviation")))
    return table


def _num(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "" if value is None else str(value)


def register(app: typer.Typer) -> None:
    """Add ``sagestep monitor`` to the root app."""
    app.add_typer(monitor_app, name="monitor")
