"""Charts of score trajectories (plain SVG, no plotting library)."""

from __future__ import annotations

from pathlib import Path

from credit import params

from .world import MONTH_DAYS

PALETTE = ["#1b9e77", "#66a61e", "#d95f02", "#e7298a", "#7570b3", "#a6761d", "#666666", "#e6ab02", "#1f78b4",
           "#b15928", "#6a3d9a", "#33a02c"]  # fmt: skip


def svg_chart(series: dict[str, list], title: str, months: int) -> str:
    """Mean score per group over simulated days, with the tier floors as dashed lines."""
    width, height, left, right, top, bottom = 760, 420, 56, 230, 36, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    y_min, y_max = 450, 900
    days = months * MONTH_DAYS

    def x(day):
        return left + plot_w * day / days

    def y(score):
        return top + plot_h * (1 - (min(max(score, y_min), y_max) - y_min) / (y_max - y_min))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
        f'font-size="12"><rect width="100%" height="100%" fill="white"/>',
        f'<text x="{left}" y="22" font-size="15" font-weight="bold">{title}</text>',
    ]
    parts.extend(
        f'<line x1="{left}" x2="{left + plot_w}" y1="{y(floor):.1f}" y2="{y(floor):.1f}" stroke="#bbb" '
        f'stroke-dasharray="4 4"/><text x="{left + 4}" y="{y(floor) - 3:.1f}" fill="#888" '
        f'font-size="10">{name} {floor}</text>'
        for name, floor in params.TIERS[:-1]
    )
    parts.extend(
        f'<text x="{left - 6}" y="{y(score) + 4:.1f}" text-anchor="end">{score}</text>'
        for score in range(y_min, y_max + 1, 50)
    )
    parts.extend(
        f'<text x="{x(month * MONTH_DAYS):.1f}" y="{top + plot_h + 16}" text-anchor="middle">{month}</text>'
        for month in range(0, months + 1, max(1, months // 12))
    )
    parts.append(f'<text x="{left + plot_w / 2}" y="{height - 6}" text-anchor="middle">simulated month</text>')
    parts.append(f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#444"/>')
    for i, (name, points) in enumerate(series.items()):
        colour = PALETTE[i % len(PALETTE)]
        path = " ".join(f"{'M' if n == 0 else 'L'}{x(p[0]):.1f},{y(p[1]):.1f}" for n, p in enumerate(points))
        parts.append(f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        ly = top + 14 + 18 * i
        parts.append(
            f'<line x1="{left + plot_w + 12}" x2="{left + plot_w + 32}" y1="{ly - 4}" y2="{ly - 4}" '
            f'stroke="{colour}" stroke-width="3"/><text x="{left + plot_w + 38}" y="{ly}">{name}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def write_charts(result: dict, directory: Path) -> list[Path]:
    trajectories = result["figures"]["trajectories"]
    months = result["config"]["months"]
    written = []
    for prefix, title, filename in (
        ("user", "Mean credit score of users by hidden type", "credit-sim-users.svg"),
        ("provider", "Mean credit score of providers by hidden type", "credit-sim-providers.svg"),
        ("", "Ring of fresh accounts against fresh controls (users)", "credit-sim-ring.svg"),
    ):
        if prefix:
            chosen = {k: v["series"] for k, v in trajectories.items() if k.startswith(prefix + " ") and v["actors"]}
        else:
            chosen = {k: v["series"] for k, v in trajectories.items() if k in {"ring member", "control member"}}
        if not chosen:
            continue
        path = directory / filename
        path.write_text(svg_chart(chosen, title, months), encoding="utf-8")
        written.append(path)
    return written
