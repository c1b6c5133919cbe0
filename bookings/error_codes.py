"""Error codes of bookings, reviews, incidents and booking rules (see sharing_platform/errors.py)."""

from sharing_platform.errors import ErrorCode


class BookingErrorCode(ErrorCode):
    SLOT_TAKEN = "slot_taken"  # another booking holds (part of) this time
    WRONG_STATE = "wrong_state"  # the booking (incident, dispute) is not in a state that allows this
    TOO_EARLY = "too_early"  # check-in or check-out before the booked time allows it
    TOO_LATE = "too_late"  # the booked time is over
    INSTRUMENT_UNAVAILABLE = "instrument_unavailable"  # in maintenance or retired
    RATE_KIND = "rate_kind"  # internal rate asked by a non-member, or the reverse
    ALREADY_REVIEWED = "already_reviewed"
    ALREADY_REPORTED = "already_reported"  # a fraud report on this booking is waiting for a decision
    ALREADY_REVOKED = "already_revoked"  # a qualification
    ALREADY_CONTESTED = "already_contested"  # a one-sided fact contested once already (or decided)
    CONTEST_WINDOW_CLOSED = "contest_window_closed"  # the window to contest a one-sided fact has passed
    CORRECTION_WINDOW_CLOSED = "correction_window_closed"  # the window to correct a completed booking's hours passed


class BookingRule(ErrorCode):
    """A booking rule a request breaks (the policy's problems; the first one is the error's code)."""

    INSTRUMENT_STATUS = "instrument_status"
    PROVIDER_STATUS = "provider_status"
    PROVIDER_BLACKLIST = "provider_blacklist"
    CREDIT_BLACKLIST = "credit_blacklist"
    CREDIT_MINIMUM = "credit_minimum"
    TIME_RANGE = "time_range"
    PAST = "past"
    MINIMUM_NOTICE = "minimum_notice"
    BOOKING_HORIZON = "booking_horizon"
    MINIMUM_DURATION = "minimum_duration"
    MAXIMUM_DURATION = "maximum_duration"
    OVERNIGHT = "overnight"
    MULTI_DAY = "multi_day"
    OPENING_HOURS = "opening_hours"
    BLACKOUT = "blackout"
    OWN_OVERLAP = "own_overlap"
    BOOKINGS_PER_DAY = "bookings_per_day"
    BOOKINGS_IN_FUTURE = "bookings_in_future"
    MINIMUM_GAP = "minimum_gap"
    WEEKLY_QUOTA = "weekly_quota"
    MONTHLY_QUOTA = "monthly_quota"
    OPERATOR_ASSISTANCE = "operator_assistance"
    QUALIFICATION = "qualification"
    PROJECT_CODE = "project_code"
