"""Credit API. Thin: validate input, call one selector or service, serialize the answer."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from instruments.models import Unit
from sharing_platform.api.pagination import CheapPageNumberPagination, NewestFirstCursorPagination
from sharing_platform.api.parsers import UPLOAD_PARSERS
from sharing_platform.api.permissions import IsPlatformAdmin
from sharing_platform.api.public_reads import CREDIT_READ, PublicReadScope, public_read_authentication
from sharing_platform.errors import DomainNotFoundError, DomainPermissionError, DomainValidationError

from .. import params, selectors, services
from ..display import entry_is_public, history_missing_text, subject_public
from ..models import Appeal, ListEntry, RepairRequest
from ..permissions import can_act_for_subject, can_view_credit
from . import serializers


def _validated(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _get(model, pk, queryset=None):
    row = (queryset if queryset is not None else model.objects).filter(pk=pk).first()
    if row is None:
        raise DomainNotFoundError(_("Not found."))
    return row


def _paginated(request, view, queryset, serializer_class):
    paginator = getattr(view, "pagination_class", None) or CheapPageNumberPagination
    paginator = paginator()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True, context={"request": request}).data)


STATUS_PARAMETER = OpenApiParameter("status", OpenApiTypes.STR, description="proposed, published, rejected...")


class EntryListView(APIView):
    """The moderation queue: list entries by status (platform admins)."""

    permission_classes = [IsPlatformAdmin]
    pagination_class = CheapPageNumberPagination

    @extend_schema(
        summary="The moderation queue of list entries (platform admins)",
        parameters=[STATUS_PARAMETER],
        responses={200: serializers.ModerationEntrySerializer(many=True)},
    )
    def get(self, request):
        wanted = request.query_params.get("status") or None
        if wanted and wanted not in ListEntry.Status.values:
            raise DomainValidationError(_("Unknown status."), field="status")
        rows = selectors.list_entries_for_moderation(status=wanted)
        return _paginated(request, self, rows, serializers.ModerationEntrySerializer)


class EntryConfirmView(APIView):
    permission_classes = [IsPlatformAdmin]

    @extend_schema(
        summary="Confirm and publish a proposed entry (platform admins)",
        request=serializers.ConfirmSerializer,
        responses={200: serializers.ListEntrySerializer},
    )
    def post(self, request, pk: int):
        data = _validated(serializers.ConfirmSerializer, request)
        entry = services.list_entry_confirm(
            entry=_get(ListEntry, pk),
            moderator=request.user,
            reason=data["reason"],
            expires_at=data.get("expires_at"),
            severity=data.get("severity") or None,
        )
        return Response(serializers.ListEntrySerializer(entry).data)


class EntryRejectView(APIView):
    permission_classes = [IsPlatformAdmin]

    @extend_schema(
        summary="Reject a proposed entry (platform admins)",
        request=serializers.ReasonSerializer,
        responses={200: serializers.ListEntrySerializer},
    )
    def post(self, request, pk: int):
        data = _validated(serializers.ReasonSerializer, request)
        entry = services.list_entry_reject(entry=_get(ListEntry, pk), moderator=request.user, reason=data["reason"])
        return Response(serializers.ListEntrySerializer(entry).data)


class PublishedListCursorPagination(NewestFirstCursorPagination):
    ordering = ("-published_at", "-id")


class PublicListView(APIView):
    """A public credit list: published entries only, as public credit lists show them (cursor pagination,
    newest first). Open to everyone; a partner key needs the scope credit:read."""

    authentication_classes = public_read_authentication()
    permission_classes = [PublicReadScope(CREDIT_READ)]  # type: ignore[list-item]  # callable instance
    pagination_class = PublishedListCursorPagination
    list_type = ListEntry.List.BLACK

    @extend_schema(
        summary="A published credit list, newest first",
        responses={200: serializers.PublicListEntrySerializer(many=True)},
    )
    def get(self, request):
        rows = selectors.list_entries_published(list_type=self.list_type)
        return _paginated(request, self, rows, serializers.PublicListEntrySerializer)


class RedListView(PublicListView):
    list_type = ListEntry.List.RED


class BlackListView(PublicListView):
    list_type = ListEntry.List.BLACK


class EntryAppealView(APIView):
    """The listed subject objects to an entry."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Object to a list entry about you",
        request=serializers.ReasonSerializer,
        responses={201: serializers.AppealSerializer},
    )
    def post(self, request, pk: int):
        data = _validated(serializers.ReasonSerializer, request)
        appeal = services.appeal_submit(
            entry=_entry_for_subject(request.user, pk), user=request.user, reason=data["reason"]
        )
        return Response(serializers.AppealSerializer(appeal).data, status=status.HTTP_201_CREATED)


def _entry_for_subject(user, pk: int) -> ListEntry:
    """An entry the user may act on; others get 404 for unpublished entries (no leaking of proposals)."""
    entry = _get(ListEntry, pk, ListEntry.objects.select_related("subject_user", "subject_unit"))
    if entry.status != ListEntry.Status.PUBLISHED and not can_act_for_subject(user, entry.subject):
        raise DomainNotFoundError(_("Not found."))
    return entry


class EntryRepairView(APIView):
    """The listed subject asks for credit repair (proof, optional document, signed commitment)."""

    permission_classes = [IsAuthenticated]
    parser_classes = UPLOAD_PARSERS

    @extend_schema(
        summary="Request credit repair of a published entry",
        request=serializers.RepairSubmitSerializer,
        responses={201: serializers.RepairRequestSerializer},
    )
    def post(self, request, pk: int):
        data = _validated(serializers.RepairSubmitSerializer, request)
        repair = services.repair_request_submit(
            entry=_entry_for_subject(request.user, pk),
            user=request.user,
            proof_text=data["proof_text"],
            proof_file=data.get("proof_file"),
            commitment_signed=data["commitment_signed"],
        )
        return Response(serializers.RepairRequestSerializer(repair).data, status=status.HTTP_201_CREATED)


class AppealListView(APIView):
    permission_classes = [IsPlatformAdmin]
    pagination_class = CheapPageNumberPagination

    @extend_schema(
        summary="Open objections (platform admins)", responses={200: serializers.AppealSerializer(many=True)}
    )
    def get(self, request):
        return _paginated(request, self, selectors.appeals_open(), serializers.AppealSerializer)


class AppealDecideView(APIView):
    permission_classes = [IsPlatformAdmin]

    @extend_schema(
        summary="Decide an objection (platform admins)",
        request=serializers.AppealDecisionSerializer,
        responses={200: serializers.AppealSerializer},
    )
    def post(self, request, pk: int):
        data = _validated(serializers.AppealDecisionSerializer, request)
        appeal = services.appeal_decide(
            appeal=_get(Appeal, pk), admin=request.user, upheld=data["upheld"], reason=data["reason"]
        )
        return Response(serializers.AppealSerializer(appeal).data)


class RepairListView(APIView):
    permission_classes = [IsPlatformAdmin]
    pagination_class = CheapPageNumberPagination

    @extend_schema(
        summary="Pending repair requests (platform admins)",
        responses={200: serializers.RepairRequestSerializer(many=True)},
    )
    def get(self, request):
        return _paginated(request, self, selectors.repair_requests_pending(), serializers.RepairRequestSerializer)


class RepairDecideView(APIView):
    permission_classes = [IsPlatformAdmin]

    @extend_schema(
        summary="Decide a repair request (platform admins)",
        request=serializers.RepairDecisionSerializer,
        responses={200: serializers.RepairRequestSerializer},
    )
    def post(self, request, pk: int):
        data = _validated(serializers.RepairDecisionSerializer, request)
        repair = services.repair_request_decide(
            repair=_get(RepairRequest, pk), admin=request.user, granted=data["granted"], reason=data["reason"]
        )
        return Response(serializers.RepairRequestSerializer(repair).data)


class EndorsementCreateView(APIView):
    """A unit admin endorses another unit on behalf of their own."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Endorse another unit on behalf of your own",
        request=serializers.EndorsementCreateSerializer,
        responses={201: serializers.EndorsementSerializer},
    )
    def post(self, request):
        data = _validated(serializers.EndorsementCreateSerializer, request)
        endorsement = services.endorsement_create(
            endorser=_get(Unit, data["endorser"]),
            endorsed=_get(Unit, data["endorsed"], Unit.objects.verified()),
            by=request.user,
            kind=data["kind"],
            note=data["note"],
        )
        return Response(serializers.EndorsementSerializer(endorsement).data, status=status.HTTP_201_CREATED)


def _partner_key(request):
    """The partner API key the request carries, if any (a knox token is not one)."""
    return request.auth if hasattr(request.auth, "has_scope") else None


def _user_or_404(pk: int):
    return _get(get_user_model(), pk, get_user_model().objects.filter(is_active=True))


class SubjectCreditView(APIView):
    """A subject's credit. A unit: score, tier, badge and published entries for everyone; the whole file for
    its admins and platform admins. A person: the whole file (score, tier, dimensions, reasons, history, every
    entry) for the person, the admins of their verified units, platform admins and the partner that created
    them; for anyone else only their published list entries, and 404 when there are none (ids cannot be
    walked to list people). A partner key needs the scope credit:read."""

    authentication_classes = public_read_authentication()
    permission_classes = [PublicReadScope(CREDIT_READ)]  # type: ignore[list-item]  # callable instance
    subject_type = "user"

    def _subject(self, request, pk: int):
        if self.subject_type == "unit":
            return _get(Unit, pk, Unit.objects.visible_to(request.user))
        return _user_or_404(pk)

    @extend_schema(summary="A unit's or a person's credit", responses={200: serializers.SubjectCreditSerializer})
    def get(self, request, pk: int):
        subject = self._subject(request, pk)
        is_unit = isinstance(subject, Unit)
        full = can_view_credit(request.user, subject, partner_key=_partner_key(request))
        entries = list(selectors.list_entries_of_subject(subject).select_related("subject_user", "subject_unit"))
        now = timezone.now()
        published = [entry for entry in entries if entry_is_public(entry, now)]
        if not (full or is_unit or published):
            raise DomainNotFoundError(_("Not found."))
        snapshot = selectors.credit_snapshot_latest(subject) if (full or is_unit) else None
        body = {
            "subject": subject_public(subject),
            "visibility": "full" if full else "public",
            "score": snapshot.score if snapshot else None,
            "tier": snapshot.tier if snapshot else "",
            "trusted_provider": bool(is_unit and selectors.trusted_badge_current(subject)),
            "published_entries": published,
        }
        if full:
            body["private"] = {
                "snapshot": snapshot,
                "history": selectors.credit_score_history(subject),
                "entries": entries,
                "warnings": selectors.credit_warnings_of_subject(subject),
                "standing": _standing_body(subject, snapshot, published),
            }
        return Response(serializers.SubjectCreditSerializer(body).data)


def _standing_body(subject, snapshot, published: list[ListEntry]) -> dict:
    """The standing of a subject for SubjectCreditPrivateSerializer, from the snapshot and the published entries
    the view already holds (one more query: a person's history of kept bookings)."""
    blacklisted = any(entry.list_type == ListEntry.List.BLACK for entry in published)
    score = snapshot.score if snapshot else None
    if isinstance(subject, Unit):
        standing = selectors.standing_from(score, blacklisted, history=selectors.NO_HISTORY)
        history = None
    else:
        standing = selectors.standing_from(score, blacklisted, history=selectors.credit_history_of_user(subject))
        kept, providers = standing.history.missing_kept_bookings, standing.history.missing_providers
        history = {
            "kept_bookings": standing.history.kept_bookings,
            "distinct_providers": standing.history.distinct_providers,
            "required_kept_bookings": params.MIN_KEPT_BOOKINGS,
            "required_providers": params.MIN_DISTINCT_PROVIDERS,
            "missing_kept_bookings": kept,
            "missing_providers": providers,
            "sufficient": standing.history.sufficient,
            "missing": history_missing_text(kept, providers),
        }
    return {
        "blacklisted": standing.blacklisted,
        "deposit_waived": standing.deposit_waived,
        "auto_approval_eligible": standing.auto_approval_eligible,
        "history": history,
    }


class UnitCreditView(SubjectCreditView):
    subject_type = "unit"


class UserCreditView(SubjectCreditView):
    subject_type = "user"


# --- The subject's ledger events, cursor-paginated, for the subject and its admins ---------------
class LedgerCursorPagination(NewestFirstCursorPagination):
    ordering = ("-occurred_at", "-id")


class SubjectEventListView(APIView):
    """The ledger events about a subject, newest first (cursor pagination), for whoever may see its whole
    credit file (see credit/permissions.py). Another person's events answer 404, as if there were none; a
    unit's, 403. A partner key (scope credit:read) reads the events of the users its partner created."""

    authentication_classes = public_read_authentication()
    permission_classes = [PublicReadScope(CREDIT_READ)]  # type: ignore[list-item]  # callable instance
    pagination_class = LedgerCursorPagination
    subject_type = "user"

    @extend_schema(
        summary="The ledger events about a unit or a person",
        responses={200: serializers.CreditEventSerializer(many=True)},
    )
    def get(self, request, pk: int):
        partner_key = _partner_key(request)
        if partner_key is None and not request.user.is_authenticated:
            raise NotAuthenticated()
        if self.subject_type == "unit":
            subject = _get(Unit, pk, Unit.objects.visible_to(request.user))
            if not can_view_credit(request.user, subject, partner_key=partner_key):
                raise DomainPermissionError(_("Only the unit's admins and platform admins see its ledger."))
        else:
            subject = _user_or_404(pk)
            if not can_view_credit(request.user, subject, partner_key=partner_key):
                raise DomainNotFoundError(_("Not found."))
        rows = selectors.credit_events_of_subject(subject)
        return _paginated(request, self, rows, serializers.CreditEventSerializer)


class UserEventListView(SubjectEventListView):
    subject_type = "user"


class UnitEventListView(SubjectEventListView):
    subject_type = "unit"
