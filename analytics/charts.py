"""Server-rendered charts: bar geometry for inline SVG (no JavaScript, no CDN)."""

from __future__ import annotations

import math

# A small viewBox drawn at about its own size in a card, so 11-unit text stays about 11 px on screen
# (a 600-unit box squeezed into a 260 px card made the labels 4 px).
CHART_WIDTH = 320
CHART_HEIGHT = 190
AXIS_LEFT = 46  # room for the value axis' labels
AXIS_BOTTOM = 24  # room for the category labels
TOP = 8
FONT_SIZE = 11
MAX_LABELS = 6  # category labels under the columns; in between every n-th one


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten at or above `value` (the value axis' top)."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def axis_label(value: float) -> str:
    """A value axis tick: thousands separators, k / M for large values so it fits in the margin."""
    if value >= 1_000_000:
        return f"{value / 1_000_000:g}M"
    if value >= 10_000:
        return f"{value / 1_000:g}k"
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def column_chart(points: list[tuple[str, float]], *, width: int = CHART_WIDTH, height: int = CHART_HEIGHT) -> dict:
    """Columns for (label, value) pairs on a value axis with four ticks; at most MAX_LABELS category labels."""
    top = nice_ceiling(max((float(value) for _label, value in points), default=0))
    plot_width, baseline = width - AXIS_LEFT, height - AXIS_BOTTOM
    plot_height = baseline - TOP
    slot = plot_width / max(len(points), 1)
    label_every = max(1, math.ceil(len(points) / MAX_LABELS))
    bars = []
    for index, (label, value) in enumerate(points):
        bar_height = round(plot_height * float(value) / top, 1)
        bars.append(
            {
                "label": label,
                "value": value,
                "show_label": index % label_every == 0,
                "x": round(AXIS_LEFT + index * slot + slot * 0.15, 1),
                "width": round(slot * 0.7, 1),
                "y": round(baseline - bar_height, 1),
                "height": bar_height,
                "label_x": round(AXIS_LEFT + index * slot + slot / 2, 1),
            }
        )
    ticks = [
        {
            "label": axis_label(top * share),
            "y": round(baseline - plot_height * share, 1),
            "text_y": round(baseline - plot_height * share + 4, 1),
        }
        for share in (0, 0.25, 0.5, 0.75, 1)
    ]
    return {
        "width": width,
        "height": height,
        "baseline": baseline,
        "axis_x": AXIS_LEFT,
        "tick_label_x": AXIS_LEFT - 4,
        "label_y": height - 8,
        "font_size": FONT_SIZE,
        "bars": bars,
        "ticks": ticks,
    }


def percent(value: float | None, *, cap: float = 1.0) -> float:
    """A share as a CSS width percentage (0..100)."""
    if value is None:
        return 0.0
    return round(max(0.0, min(float(value), cap)) / cap * 100, 1)
