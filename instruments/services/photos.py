"""Photos of instruments: checked, cleaned and thumbnailed before anything is stored.

An upload is only trusted after Pillow has decoded it: the name and the content type the browser sends
are ignored. In order, a photo is refused when it is larger than `PHOTO_MAX_BYTES`, when it is not a
JPEG, PNG or WebP image, when it declares more than `PHOTO_MAX_PIXELS` pixels (a decompression bomb: a
few kilobytes that would take gigabytes to decode; checked on the header, before decoding) and when
its pixels cannot be decoded. What is stored is a re-encoding of the pixels only (turned upright by its
EXIF orientation first), so the camera's metadata (EXIF, GPS position, maker notes, comments) is gone,
plus two JPEG thumbnails. Files get random names (sharing_platform/uploads.py) in the media storage.

The instrument's `cover_thumbnail` column holds the newest photo's small thumbnail, so the catalogue
shows a picture without a query per row.
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from sharing_platform.errors import DomainConflictError, DomainPermissionError, DomainValidationError

from ..catalogue_cache import catalogue_changed
from ..error_codes import InstrumentErrorCode
from ..models import Instrument, InstrumentPhoto
from ..permissions import can_manage_instrument

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
    from django.core.files.uploadedfile import UploadedFile

PHOTO_MAX_BYTES = 8 * 1024 * 1024
PHOTO_MAX_PIXELS = 40_000_000  # 40 megapixels: more than any camera phone, far less than a bomb
PHOTO_MAX_EDGE = 2000  # the stored photo is scaled down to this many pixels on its long edge
THUMBNAIL_SMALL_EDGE = 480
THUMBNAIL_LARGE_EDGE = 1200
ACCEPTED_FORMATS = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png"), "WEBP": ("image/webp", ".webp")}


def _refuse(message: str, code: InstrumentErrorCode) -> DomainValidationError:
    return DomainValidationError(message, field="image", code=code)


def photo_content(upload: UploadedFile) -> bytes:
    """The bytes of an uploaded photo, refusing an oversize file before it is read into memory."""
    _check_size(upload.size or 0)
    return upload.read(PHOTO_MAX_BYTES + 1)


def _check_size(size: int) -> None:
    if size > PHOTO_MAX_BYTES:
        raise _refuse(
            _("The photo is %(megabytes)s MB; photos may be at most %(limit)s MB.")
            % {"megabytes": round(size / (1024 * 1024), 1), "limit": PHOTO_MAX_BYTES // (1024 * 1024)},
            InstrumentErrorCode.FILE_TOO_LARGE,
        )
    if size == 0:
        raise _refuse(_("The file is empty."), InstrumentErrorCode.EMPTY_FILE)


@dataclass
class CleanPhoto:
    """A decoded photo, re-encoded without metadata, and its two thumbnails (bytes, ready to store)."""

    image: bytes
    extension: str
    content_type: str
    width: int
    height: int
    thumbnail_small: bytes
    thumbnail_large: bytes


def _decoded(content: bytes):
    """The decoded image, upright; refuses anything that is not a sane JPEG, PNG or WebP."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    unsupported = _refuse(
        _("This file is not a JPEG, PNG or WebP image. Upload a photo in one of these formats."),
        InstrumentErrorCode.UNSUPPORTED_FORMAT,
    )
    with warnings.catch_warnings():
        # Pillow's own bomb guard warns, then raises, far above our limit; both become a refusal.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(content), formats=list(ACCEPTED_FORMATS))
        except UnidentifiedImageError as error:
            raise unsupported from error
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise _bomb() from error
        except (OSError, SyntaxError, ValueError) as error:
            raise _malformed() from error
        # A phone's multi-picture JPEG (MPO: the photo plus depth or preview frames) is a JPEG; its first frame is kept.
        image_format = "JPEG" if image.format == "MPO" else image.format
        if image_format not in ACCEPTED_FORMATS:
            raise unsupported
        width, height = image.size
        if width < 1 or height < 1 or width * height > PHOTO_MAX_PIXELS:
            raise _bomb()
        if image_format == "JPEG" and max(width, height) > PHOTO_MAX_EDGE:
            # Let the JPEG decoder scale down by 1/2, 1/4 or 1/8 while decoding, never below what is kept: a
            # 12-megapixel photo decodes at 2000 x 1500 in a fraction of the time and memory.
            scale = PHOTO_MAX_EDGE / max(width, height)
            image.draft(None, (max(1, math.ceil(width * scale)), max(1, math.ceil(height * scale))))
        try:
            image.load()
            upright = ImageOps.exif_transpose(image)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise _bomb() from error
        except (OSError, SyntaxError, ValueError, EOFError) as error:
            raise _malformed() from error
    return upright, image_format


def _bomb() -> DomainValidationError:
    return _refuse(
        _("The image declares more than %(megapixels)s megapixels; photos may have at most that many.")
        % {"megapixels": PHOTO_MAX_PIXELS // 1_000_000},
        InstrumentErrorCode.SUSPICIOUS_FILE,
    )


def _malformed() -> DomainValidationError:
    return _refuse(
        _("The image is damaged or incomplete and cannot be read. Upload the photo again."),
        InstrumentErrorCode.MALFORMED_FILE,
    )


def _pixels_only(image):
    """A fresh image holding only the pixels (RGB, or RGBA when the photo has transparency): no EXIF,
    no XMP, no ICC profile, no text chunks, no palette tricks."""
    from PIL import Image

    has_alpha = image.mode in {"RGBA", "LA", "PA", "RGBa", "La"} or (image.mode == "P" and "transparency" in image.info)
    converted = image.convert("RGBA" if has_alpha else "RGB")
    fresh = Image.new(converted.mode, converted.size)
    fresh.paste(converted)
    return fresh


def _flattened(image):
    """RGB for JPEG: transparent parts become white."""
    from PIL import Image

    if image.mode == "RGB":
        return image
    background = Image.new("RGB", image.size, (255, 255, 255))
    background.paste(image, mask=image.getchannel("A"))
    return background


def _scaled(image, edge: int):
    from PIL import Image

    if max(image.size) <= edge:
        return image
    copy = image.copy()
    copy.thumbnail((edge, edge), Image.Resampling.LANCZOS)
    return copy


def _encoded(image, image_format: str) -> bytes:
    buffer = io.BytesIO()
    if image_format == "JPEG":
        _flattened(image).save(buffer, "JPEG", quality=85, optimize=True, progressive=True)
    elif image_format == "PNG":
        image.save(buffer, "PNG", optimize=True)
    else:
        image.save(buffer, "WEBP", quality=85, method=4)
    return buffer.getvalue()


def photo_clean(content: bytes) -> CleanPhoto:
    """Check and decode an upload; re-encode its pixels (no metadata) and make the thumbnails."""
    _check_size(len(content))
    decoded, image_format = _decoded(content)
    pixels = _scaled(_pixels_only(decoded), PHOTO_MAX_EDGE)
    content_type, extension = ACCEPTED_FORMATS[image_format]
    return CleanPhoto(
        image=_encoded(pixels, image_format),
        extension=extension,
        content_type=content_type,
        width=pixels.width,
        height=pixels.height,
        thumbnail_small=_encoded(_scaled(pixels, THUMBNAIL_SMALL_EDGE), "JPEG"),
        thumbnail_large=_encoded(_scaled(pixels, THUMBNAIL_LARGE_EDGE), "JPEG"),
    )


def _require_manager(actor, instrument: Instrument) -> None:
    if not can_manage_instrument(actor, instrument):
        raise DomainPermissionError(
            _("Only the instrument managers and unit admins of its unit may change its photos.")
        )


def _require_in_service(instrument: Instrument) -> None:
    if instrument.status == Instrument.Status.RETIRED:
        raise DomainConflictError(
            _("This instrument is retired and can no longer be edited."), code=InstrumentErrorCode.RETIRED
        )


def _cover_refresh(instrument_id: int) -> None:
    """Write down the newest photo's small thumbnail for the catalogue ("" when none is left)."""
    newest = (
        InstrumentPhoto.objects.filter(instrument_id=instrument_id)
        .order_by("-created_at", "-id")
        .values_list("thumbnail_small", flat=True)
        .first()
    )
    Instrument.objects.filter(pk=instrument_id).update(cover_thumbnail=newest or "")
    catalogue_changed()  # the catalogue rows carry the thumbnail; update() sends no post_save


def instrument_photo_add(*, actor: User | AnonymousUser, instrument: Instrument, content: bytes) -> InstrumentPhoto:
    """Add a photo to an instrument (its unit's managers and admins). It becomes the catalogue's picture."""
    _require_manager(actor, instrument)  # before the costly decoding
    _require_in_service(instrument)
    clean = photo_clean(content)
    photo = InstrumentPhoto(
        instrument=instrument,
        width=clean.width,
        height=clean.height,
        content_type=clean.content_type,
        uploaded_by=actor if actor.is_authenticated else None,
    )
    # Files first (random names; nothing points at them until the row is committed), the rows in one transaction.
    photo.image.save(f"photo{clean.extension}", ContentFile(clean.image), save=False)
    photo.thumbnail_small.save("small.jpg", ContentFile(clean.thumbnail_small), save=False)
    photo.thumbnail_large.save("large.jpg", ContentFile(clean.thumbnail_large), save=False)
    try:
        with transaction.atomic():
            locked = Instrument.objects.select_for_update().select_related("unit").get(pk=instrument.pk)
            _require_manager(actor, locked)
            _require_in_service(locked)
            photo.instrument = locked
            photo.full_clean()
            photo.save()
            _cover_refresh(locked.pk)
    except BaseException:
        _files_delete(photo)
        raise
    return photo


def _files_delete(photo: InstrumentPhoto) -> None:
    for field in (photo.image, photo.thumbnail_small, photo.thumbnail_large):
        if field.name:
            field.storage.delete(field.name)


def instrument_photo_delete(*, actor: User | AnonymousUser, photo: InstrumentPhoto) -> None:
    """Remove a photo and its files (the files once the transaction has committed)."""
    with transaction.atomic():
        locked = Instrument.objects.select_for_update().select_related("unit").get(pk=photo.instrument_id)
        _require_manager(actor, locked)
        row = InstrumentPhoto.objects.filter(pk=photo.pk, instrument=locked).first()
        if row is None:
            return
        row.delete()
        _cover_refresh(locked.pk)
        transaction.on_commit(lambda: _files_delete(row))
