"""Server-rendered charts: bar geometry for inline SVG (no JavaScript, no CDN)."""

from __future__ import annotations

BAR_WIDTH = 600
BAR_HEIGHT = 160


def column_chart(points: list[tuple[str, float]], *, width: int = BAR_WIDTH, height: int = BAR_HEIGHT) -> dict:
    """Columns for (label, value) pairs, scaled to the largest value; labels under every column."""
    top = max((value for _label, value in points), default=0) or 1
    slot = width / max(len(points), 1)
    bars = []
    for index, (label, value) in enumerate(points):
        bar_height = round((height - 20) * value / top, 1)
        bars.append(
            {
                "label": label,
                "value": value,
                "x": round(index * slot + slot * 0.15, 1),
                "width": round(slot * 0.7, 1),
                "y": round(height - 20 - bar_height, 1),
                "height": bar_height,
                "label_x": round(index * slot + slot / 2, 1),
            }
        )
    return {"width": width, "height": height, "baseline": height - 20, "label_y": height - 6, "bars": bars}


def percent(value: float | None, *, cap: float = 1.0) -> float:
    """A share as a CSS width percentage (0..100)."""
    if value is None:
        return 0.0
    return round(max(0.0, min(float(value), cap)) / cap * 100, 1)
