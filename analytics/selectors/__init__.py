"""Reads of the analytics layer, one module per noun; `from analytics import selectors` reaches them all.

- usage: machine hours and income per instrument, hours open for booking (how hours are counted);
- idle: instruments used under a threshold of their open hours;
- evaluation: a unit's yearly evaluation and the platform's median unit;
- before_you_buy: existing instruments least used first, with their nearest free slots;
- dashboard: the platform's growth by month.

Every figure comes from a fixed number of set-based queries (`values().annotate()` with
conditional aggregation), whatever the number of bookings. The bookings tables are read here
directly because the aggregates need their columns; every write stays with the bookings app.
"""

from .before_you_buy import (
    BEFORE_YOU_BUY_LIMIT,
    FREE_SLOT_HORIZON_DAYS,
    FREE_SLOT_MIN,
    FREE_SLOTS_SHOWN,
    before_you_buy,
    before_you_buy_filter,
    nearest_free_slots,
)
from .dashboard import category_choices, month_windows, platform_dashboard
from .evaluation import MEDIAN_FIGURES, platform_medians, platform_medians_cached, unit_evaluation
from .idle import (
    IDLE_DEFAULT_DAYS,
    IDLE_DEFAULT_THRESHOLD,
    IdleGroup,
    IdleInstrument,
    IdleReport,
    idle_instruments,
    idle_scope_for,
)
from .usage import (
    DEFAULT_WEEK,
    EARLY_CHECK_IN_BOUND,
    INTERNAL,
    MEASURED,
    SPAN_END,
    SPAN_START,
    SecondsBetween,
    Usage,
    completed_in_window,
    hours_inside,
    instrument_hours,
    open_hours_by_instrument,
    usage_by_instrument,
)

__all__ = [
    "BEFORE_YOU_BUY_LIMIT",
    "DEFAULT_WEEK",
    "EARLY_CHECK_IN_BOUND",
    "FREE_SLOTS_SHOWN",
    "FREE_SLOT_HORIZON_DAYS",
    "FREE_SLOT_MIN",
    "IDLE_DEFAULT_DAYS",
    "IDLE_DEFAULT_THRESHOLD",
    "INTERNAL",
    "MEASURED",
    "MEDIAN_FIGURES",
    "SPAN_END",
    "SPAN_START",
    "IdleGroup",
    "IdleInstrument",
    "IdleReport",
    "SecondsBetween",
    "Usage",
    "before_you_buy",
    "before_you_buy_filter",
    "category_choices",
    "completed_in_window",
    "hours_inside",
    "idle_instruments",
    "idle_scope_for",
    "instrument_hours",
    "month_windows",
    "nearest_free_slots",
    "open_hours_by_instrument",
    "platform_dashboard",
    "platform_medians",
    "platform_medians_cached",
    "unit_evaluation",
    "usage_by_instrument",
]
