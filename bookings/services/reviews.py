"""Reviews: one per side per completed booking; the reviewed party receives the stars as a fact."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from instruments.models import Unit
from sharing_platform.errors import DomainConflictError, DomainPermissionError, DomainValidationError

from .. import facts
from ..error_codes import BookingErrorCode
from ..models import BookingState, Review, Side
from ..permissions import is_provider, is_requester
from .locking import lock_booking, require_state

if TYPE_CHECKING:
    from django.contrib.auth.models import User

REVIEW_MAX_TAGS = 10


def review_create(
    *,
    booking_id: int,
    author: User,
    stars: int,
    tags: list[str] | None = None,
    text: str = "",
    now: datetime | None = None,
) -> Review:
    """One review per side per completed booking; the reviewed party receives the stars as a fact."""
    now = now or timezone.now()
    try:
        stars = int(stars)
    except (TypeError, ValueError):
        raise DomainValidationError(_("Stars must be a whole number from 1 to 5."), field="stars") from None
    if not 1 <= stars <= 5:
        raise DomainValidationError(_("Stars must be a whole number from 1 to 5."), field="stars")
    tags = list(tags or [])
    if len(tags) > REVIEW_MAX_TAGS or not all(isinstance(tag, str) and 0 < len(tag) <= 40 for tag in tags):
        raise DomainValidationError(_("Up to 10 tags, each a short word or phrase."), field="tags")
    with transaction.atomic():
        booking = lock_booking(booking_id)
        subject: User | Unit
        author_subject: User | Unit
        if is_requester(author, booking):
            side, subject, author_subject = Side.REQUESTER, booking.instrument.unit, booking.requester
        elif is_provider(author, booking):
            side, subject, author_subject = Side.PROVIDER, booking.requester, booking.instrument.unit
        else:
            raise DomainPermissionError(_("Only the requester or the instrument's managers can review this booking."))
        require_state(booking, [BookingState.COMPLETED], _("reviewed"))
        if booking.reviews.filter(side=side).exists():
            raise DomainConflictError(
                _("Your side has already reviewed this booking."), code=BookingErrorCode.ALREADY_REVIEWED
            )
        review = Review.objects.create(booking=booking, author=author, side=side, stars=stars, tags=tags, text=text)
        facts.fact_review(review, subject=subject, author_subject=author_subject, occurred_at=now)
    return review
