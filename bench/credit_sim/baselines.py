"""Figures shared by the model and its baselines: AUC, and the baselines' scores over an actor's log.

An actor's log holds (moment, kind, polarity, stars or None, weight) in time order (sorted before any
figure is computed). Baselines, each mapped onto 350..950 like the model:

- mean of stars received (as marketplaces show);
- plain beta (r + 1) / (r + s + 2), every event counting once (reviews as (stars - 1) / 4);
- kind-weighted beta (issue 18.9): the same beta with the model's own per-kind weights (params.KIND_MULTIPLIERS
  times the row's weight: review credibility, and 0 for internal or counterparty-capped facts), without decay,
  dimensions, caps or propagation. If it ranks as well as the model, the extra terms do not earn their place.
"""

from __future__ import annotations

from datetime import datetime

from credit import params

from .world import K

# --- Figures ------------------------------------------------------------------------------------


def auc(honest: list[float], dishonest: list[float]) -> float | None:
    """P(an honest actor scores above a dishonest one), ties counting half (Mann-Whitney)."""
    if not honest or not dishonest:
        return None
    values = sorted([(v, 1) for v in honest] + [(v, 0) for v in dishonest])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1][0] == values[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[k] = (i + j) / 2 + 1
        i = j + 1
    rank_sum = sum(r for r, (_v, label) in zip(ranks, values, strict=True) if label == 1)
    n1, n0 = len(honest), len(dishonest)
    return round((rank_sum - n1 * (n1 + 1) / 2) / (n1 * n0), 4)


BASELINES = ("average_stars", "plain_beta", "kind_beta")


class _Tally:
    """Running sums of the three baselines over a log read in time order."""

    def __init__(self):
        self.stars_sum = self.stars_n = 0.0
        self.kept = self.broken = 0.0  # plain beta
        self.w_kept = self.w_broken = 0.0  # kind-weighted beta

    def add(self, kind: str, polarity: int, stars, weight: float) -> None:
        multiplier = params.KIND_MULTIPLIERS.get(kind, 1.0) * weight
        if kind == K.REVIEW_RECEIVED:
            self.stars_sum += stars
            self.stars_n += 1
            share = (stars - 1) / 4
            self.kept += share
            self.broken += 1 - share
            self.w_kept += multiplier * share
            self.w_broken += multiplier * (1 - share)
        elif polarity > 0:
            self.kept += 1
            self.w_kept += multiplier
        elif polarity < 0:
            self.broken += 1
            self.w_broken += multiplier

    def scores(self) -> tuple[float, float, float]:
        mean_stars = (self.stars_sum / self.stars_n - 1) / 4 if self.stars_n else 0.5
        beta = (self.kept + 1) / (self.kept + self.broken + 2)
        kind_beta = (self.w_kept + 1) / (self.w_kept + self.w_broken + 2)
        return tuple(params.SCORE_MIN + params.SCORE_SPAN * v for v in (mean_stars, beta, kind_beta))  # type: ignore[return-value]


def baseline_scores(log: list, until: datetime) -> tuple[float, float, float]:
    """(mean stars, plain beta, kind-weighted beta) over the actor's events up to `until` (log in time order)."""
    tally = _Tally()
    for moment, kind, polarity, stars, weight in log:
        if moment > until:
            break
        tally.add(kind, polarity, stars, weight)
    return tally.scores()


def baseline_series(log: list, moments: list[datetime]) -> list[tuple[float, float, float]]:
    """baseline_scores at each of the (ascending) moments, in one pass over the log."""
    out = []
    tally = _Tally()
    i = 0
    for until in moments:
        while i < len(log) and log[i][0] <= until:
            _moment, kind, polarity, stars, weight = log[i]
            tally.add(kind, polarity, stars, weight)
            i += 1
        out.append(tally.scores())
    return out
