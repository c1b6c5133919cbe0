"""API for instrument photos: anyone may list them; the instrument's unit managers and admins add and remove.

`POST /api/v1/instruments/{id}/photos/` takes multipart with `image` (JPEG, PNG or WebP, at most 8 MB);
the photo is decoded, stripped of its metadata and thumbnailed (instruments/services/photos.py).
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from sharing_platform.api.parsers import UPLOAD_PARSERS
from sharing_platform.api.public_reads import CATALOGUE_READ, PublicReadScope, public_read_authentication

from ..models import InstrumentPhoto
from ..selectors.catalogue import instrument_get_visible
from ..selectors.photos import instrument_photo_get, instrument_photos, media_url
from ..services.photos import instrument_photo_add, instrument_photo_delete, photo_content


def absolute_media_url(request, name: str) -> str | None:
    url = media_url(name)
    if url is None:
        return None
    return request.build_absolute_uri(url) if request is not None else url


class InstrumentPhotoSerializer(serializers.ModelSerializer):
    image_url = serializers.SerializerMethodField(help_text="The photo, re-encoded without metadata.")
    thumbnail_small_url = serializers.SerializerMethodField(help_text="At most 480 pixels on its long edge (JPEG).")
    thumbnail_large_url = serializers.SerializerMethodField(help_text="At most 1200 pixels on its long edge (JPEG).")

    class Meta:
        model = InstrumentPhoto
        fields = [
            "id",
            "image_url",
            "thumbnail_small_url",
            "thumbnail_large_url",
            "width",
            "height",
            "content_type",
            "created_at",
        ]

    def _url(self, name: str | None) -> str:
        return absolute_media_url(self.context.get("request"), name or "") or ""

    @extend_schema_field(OpenApiTypes.URI)
    def get_image_url(self, photo: InstrumentPhoto) -> str:
        return self._url(photo.image.name)

    @extend_schema_field(OpenApiTypes.URI)
    def get_thumbnail_small_url(self, photo: InstrumentPhoto) -> str:
        return self._url(photo.thumbnail_small.name)

    @extend_schema_field(OpenApiTypes.URI)
    def get_thumbnail_large_url(self, photo: InstrumentPhoto) -> str:
        return self._url(photo.thumbnail_large.name)


class InstrumentPhotoUploadSerializer(serializers.Serializer):
    image = serializers.FileField(
        allow_empty_file=False, help_text="JPEG, PNG or WebP, at most 8 MB; the server checks the content."
    )

    class Meta:
        fields = ["image"]


class InstrumentPhotoListView(APIView):
    """An instrument's photos, newest (the catalogue's cover) first; managers add photos here."""

    authentication_classes = public_read_authentication()
    parser_classes = UPLOAD_PARSERS

    def get_permissions(self):
        if self.request is not None and self.request.method in {"GET", "HEAD", "OPTIONS"}:
            return [PublicReadScope(CATALOGUE_READ)]
        return [IsAuthenticated()]

    @extend_schema(summary="An instrument's photos", responses={200: InstrumentPhotoSerializer(many=True)})
    def get(self, request, id: int):
        instrument = instrument_get_visible(user=request.user, pk=id)
        photos = instrument_photos(instrument=instrument)
        return Response(InstrumentPhotoSerializer(photos, many=True, context={"request": request}).data)

    @extend_schema(
        summary="Add a photo to an instrument (its unit's managers)",
        request={"multipart/form-data": InstrumentPhotoUploadSerializer},
        responses={201: InstrumentPhotoSerializer},
    )
    def post(self, request, id: int):
        instrument = instrument_get_visible(user=request.user, pk=id)
        serializer = InstrumentPhotoUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        photo = instrument_photo_add(
            actor=request.user, instrument=instrument, content=photo_content(serializer.validated_data["image"])
        )
        return Response(InstrumentPhotoSerializer(photo, context={"request": request}).data, status.HTTP_201_CREATED)


class InstrumentPhotoDetailView(APIView):
    """Remove one photo (the instrument's unit managers); the next newest becomes the cover."""

    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Remove a photo of an instrument (its unit's managers)", responses={204: None})
    def delete(self, request, id: int, photo_id: int):
        instrument = instrument_get_visible(user=request.user, pk=id)
        instrument_photo_delete(actor=request.user, photo=instrument_photo_get(instrument=instrument, pk=photo_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
