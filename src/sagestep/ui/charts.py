"""Metric-over-time charts as inline SVG, drawn on the server (no charting library).

One small chart per metric: a point per run at its start time, joined in time order, with
the min and max written out (so the values read without the drawing) and each point titled
with its run and value for hover and screen readers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from html import escape
from typing import Any

W, H, PAD = 320, 120, 28
LEFT = 46  # room for the value labels


def charts(rows: Sequence[tuple[Any, Mapping[str, float]]]) -> str:
    """One chart per metric over the runs' start times (oldest left)."""
    names = sorted({m for _, metrics in rows for m in metrics})
    if not names:
        return "<p class=empty>No metrics yet.</p>"
    return "".join(_chart(name, rows) for name in names)


def _chart(name: str, rows: Sequence[tuple[Any, Mapping[str, float]]]) -> str:
    points = sorted(
        ((info.start, info.name, metrics[name]) for info, metrics in rows
         if name in metrics and isinstance(info.start, datetime)),
        key=lambda p: p[0])
    if not points:
        return ""
    t0, t1 = points[0][0].timestamp(), points[-1][0].timestamp()
    values = [p[2] for p in points]
    low, high = min(values), max(values)

    def xy(at: datetime, value: float) -> tuple[float, float]:
        x = LEFT + (W - LEFT - PAD) * ((at.timestamp() - t0) / (t1 - t0) if t1 > t0 else 0.5)
        y = H - PAD + (-(H - 2 * PAD) * ((value - low) / (high - low)) if high > low else -(H / 2 - PAD))
        return round(x, 1), round(y, 1)

    coords = [xy(at, value) for at, _, value in points]
    path = " ".join(f"{x},{y}" for x, y in coords)
    dots = "".join(
        f'<circle cx="{x}" cy="{y}" r="3.5"><title>{escape(run)}: {value:.6g}</title></circle>'
        for (x, y), (_, run, value) in zip(coords, points, strict=True))
    label = escape(name)
    return (
        f'<figure class=metric-chart><svg viewBox="0 0 {W} {H}" role="img" '
        f'aria-label="{label} over time, {len(points)} runs, min {low:.4g}, max {high:.4g}">'
        f'<line class=axis x1="{LEFT}" y1="{H - PAD}" x2="{W - PAD}" y2="{H - PAD}"/>'
        f'<line class=axis x1="{LEFT}" y1="{PAD}" x2="{LEFT}" y2="{H - PAD}"/>'
        f'<text x="2" y="{PAD}" class=tick>{high:.4g}</text>'
        f'<text x="2" y="{H - PAD + 4}" class=tick>{low:.4g}</text>'
        f'<polyline points="{path}"/>{dots}</svg>'
        f"<figcaption>{label}: {len(points)} runs, min {low:.6g}, max {high:.6g}, "
        f"latest {values[-1]:.6g}</figcaption></figure>")
