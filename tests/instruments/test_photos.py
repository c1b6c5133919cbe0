"""Instrument photos through HTTP: the API and the manager's page; checks, EXIF removal, thumbnails,
who may upload, and the picture (photo or category drawing) the catalogue and the detail page show."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from PIL import Image
from rest_framework.test import APIClient

from instruments.models import Instrument, InstrumentPhoto
from instruments.services.photos import PHOTO_MAX_BYTES
from tests.factories import AdminUserFactory, InstrumentFactory, UserFactory, category_get

pytestmark = pytest.mark.django_db

GPS_IFD = 0x8825
MAKE = 0x010F
ORIENTATION = 0x0112


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def jpeg_with_exif(size=(1600, 900), *, orientation: int | None = None) -> bytes:
    image = Image.new("RGB", size, (200, 40, 40))
    exif = Image.Exif()
    exif[MAKE] = "SecretCam"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (31.0, 14.0, 0.0), 3: "E", 4: (121.0, 28.0, 0.0)})
    if orientation is not None:
        exif[ORIENTATION] = orientation
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes(), quality=90)
    return buffer.getvalue()


def png(size=(640, 480), mode="RGBA") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, (10, 120, 200, 128) if mode == "RGBA" else (10, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def webp(size=(800, 600)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (20, 160, 60)).save(buffer, "WEBP")
    return buffer.getvalue()


def png_bomb(width=60_000, height=60_000) -> bytes:
    """A tiny PNG whose header declares 3.6 gigapixels (what a decompression bomb looks like)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    rows = zlib.compress(b"\x00" * 1024, 9)  # would inflate to far more if it were decoded row by row
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def upload(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="image/jpeg")


def api_as(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def api_upload(user, instrument, content: bytes, name: str = "IMG_0412.jpg"):
    return api_as(user).post(
        f"/api/v1/instruments/{instrument.pk}/photos/", {"image": upload(name, content)}, format="multipart"
    )


def stored(photo_field_url: str, media_root: Path) -> Path:
    """The file behind a media URL (absolute or not)."""
    relative = photo_field_url.split("/media/", 1)[1]
    return media_root / relative


# --- the API --------------------------------------------------------------------------------------


def test_manager_uploads_a_jpeg_metadata_is_removed_and_thumbnails_exist(unit_manager, instrument, media_root):
    response = api_upload(unit_manager, instrument, jpeg_with_exif())

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["width"] == 1600
    assert body["height"] == 900
    assert body["content_type"] == "image/jpeg"
    image_path = stored(body["image_url"], media_root)
    # Stored under a random name, never the uploader's.
    assert "IMG_0412" not in body["image_url"]
    assert len(image_path.stem) == 32
    assert image_path.suffix == ".jpg"
    raw = image_path.read_bytes()
    assert b"SecretCam" not in raw
    assert b"Exif" not in raw
    with Image.open(image_path) as clean:
        assert dict(clean.getexif()) == {}
        assert clean.format == "JPEG"
    with Image.open(stored(body["thumbnail_small_url"], media_root)) as small:
        assert max(small.size) == 480
        assert small.size == (480, 270)
    with Image.open(stored(body["thumbnail_large_url"], media_root)) as large:
        assert large.size == (1200, 675)
        assert b"SecretCam" not in stored(body["thumbnail_large_url"], media_root).read_bytes()

    # The catalogue row carries the thumbnail, and the list still costs one query.
    instrument.refresh_from_db()
    assert instrument.cover_thumbnail
    rows = APIClient().get("/api/v1/instruments/").json()["results"]
    row = next(row for row in rows if row["id"] == instrument.pk)
    assert row["thumbnail_url"] == body["thumbnail_small_url"]
    detail = APIClient().get(f"/api/v1/instruments/{instrument.pk}/").json()
    assert detail["thumbnail_url"] == body["thumbnail_small_url"]
    listed = APIClient().get(f"/api/v1/instruments/{instrument.pk}/photos/").json()
    assert [photo["id"] for photo in listed] == [body["id"]]


def test_exif_orientation_is_applied_before_it_is_dropped(unit_manager, instrument, media_root):
    response = api_upload(unit_manager, instrument, jpeg_with_exif((1600, 900), orientation=6))  # rotated 90°

    assert response.status_code == 201, response.content
    assert (response.json()["width"], response.json()["height"]) == (900, 1600)


@pytest.mark.parametrize(
    ("content", "name", "content_type", "extension"),
    [(png(), "diagram.png", "image/png", ".png"), (webp(), "x.webp", "image/webp", ".webp")],
)
def test_png_and_webp_are_accepted(unit_manager, instrument, media_root, content, name, content_type, extension):
    response = api_upload(unit_manager, instrument, content, name=name)

    assert response.status_code == 201, response.content
    assert response.json()["content_type"] == content_type
    assert response.json()["image_url"].endswith(extension)


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"GIF89a" + b"\x00" * 200, "anim.gif"),
        (b"%PDF-1.7\n" + b"0" * 400, "scan.jpg"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "logo.svg"),
        (b"<html><body>hello</body></html>", "photo.png"),
    ],
)
def test_other_types_are_refused_whatever_their_name(unit_manager, instrument, content, name):
    response = api_upload(unit_manager, instrument, content, name=name)

    assert response.status_code == 400
    assert response.json()["code"] == "unsupported_format"
    assert response.json()["field"] == "image"
    assert not InstrumentPhoto.objects.exists()


def test_a_gif_made_by_pillow_is_refused(unit_manager, instrument):
    buffer = io.BytesIO()
    Image.new("RGB", (50, 50)).save(buffer, "GIF")

    response = api_upload(unit_manager, instrument, buffer.getvalue(), name="photo.jpg")

    assert response.status_code == 400
    assert response.json()["code"] == "unsupported_format"


def test_a_truncated_jpeg_is_refused_as_damaged(unit_manager, instrument):
    content = jpeg_with_exif()
    response = api_upload(unit_manager, instrument, content[: len(content) // 3])

    assert response.status_code == 400
    assert response.json()["code"] == "malformed_file"


def test_too_large_files_are_refused(unit_manager, instrument):
    content = jpeg_with_exif()
    oversize = content + b"\x00" * (PHOTO_MAX_BYTES + 1 - len(content))

    response = api_upload(unit_manager, instrument, oversize)

    assert response.status_code == 400
    assert response.json()["code"] == "file_too_large"
    assert "8 MB" in response.json()["detail"]


def test_decompression_bomb_is_refused_before_decoding(unit_manager, instrument):
    bomb = png_bomb()
    assert len(bomb) < 2000

    response = api_upload(unit_manager, instrument, bomb, name="tiny.png")

    assert response.status_code == 400
    assert response.json()["code"] == "suspicious_file"
    assert not InstrumentPhoto.objects.exists()


def test_nothing_is_left_in_storage_after_a_refusal(unit_manager, instrument, media_root):
    api_upload(unit_manager, instrument, png_bomb())
    api_upload(unit_manager, instrument, b"not an image")

    assert [path for path in media_root.rglob("*") if path.is_file()] == []


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("unit_manager", 201),
        ("unit_admin", 201),
        ("platform_admin", 201),
        ("unit_member", 403),
        ("other_unit_manager", 403),
        ("researcher", 403),
        ("anonymous", 401),
    ],
)
def test_who_may_upload(request, instrument, who, status):
    users = {
        "researcher": lambda: UserFactory(),
        "anonymous": lambda: None,
        "platform_admin": lambda: AdminUserFactory(),
    }
    user = users[who]() if who in users else request.getfixturevalue(who)

    response = api_upload(user, instrument, png())

    assert response.status_code == status, response.content
    assert InstrumentPhoto.objects.count() == (1 if status == 201 else 0)


def test_delete_a_photo_makes_the_previous_one_the_cover(unit_manager, other_unit_manager, instrument):
    first = api_upload(unit_manager, instrument, png()).json()
    second = api_upload(unit_manager, instrument, webp()).json()
    instrument.refresh_from_db()
    assert second["thumbnail_small_url"].endswith(instrument.cover_thumbnail)

    refused = api_as(other_unit_manager).delete(f"/api/v1/instruments/{instrument.pk}/photos/{second['id']}/")
    assert refused.status_code == 403

    response = api_as(unit_manager).delete(f"/api/v1/instruments/{instrument.pk}/photos/{second['id']}/")
    assert response.status_code == 204
    instrument.refresh_from_db()
    assert first["thumbnail_small_url"].endswith(instrument.cover_thumbnail)

    api_as(unit_manager).delete(f"/api/v1/instruments/{instrument.pk}/photos/{first['id']}/")
    instrument.refresh_from_db()
    assert instrument.cover_thumbnail == ""


def test_retired_instrument_takes_no_photos(unit_manager, instrument):
    Instrument.objects.filter(pk=instrument.pk).update(status=Instrument.Status.RETIRED)

    response = api_upload(unit_manager, instrument, png())

    assert response.status_code == 409
    assert response.json()["code"] == "retired"


# --- the pages ------------------------------------------------------------------------------------


def page_client(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_page_upload_then_detail_and_catalogue_show_the_photo(unit_manager, instrument):
    client = page_client(unit_manager)
    url = reverse("instrument-photos", args=[instrument.pk])

    response = client.post(url, {"image": upload("IMG_1.jpg", jpeg_with_exif())})

    assert response.status_code == 302
    photo = InstrumentPhoto.objects.get()
    detail = client.get(reverse("instrument-detail", args=[instrument.pk])).content.decode()
    assert f'src="/media/{photo.thumbnail_large.name}"' in detail
    assert reverse("instrument-photos", args=[instrument.pk]) in detail  # the manager's link
    catalogue = Client().get(reverse("catalogue")).content.decode()
    assert f'src="/media/{photo.thumbnail_small.name}"' in catalogue
    assert "img/categories/" not in catalogue


def test_page_refuses_a_wrong_file_next_to_the_field(unit_manager, instrument):
    response = page_client(unit_manager).post(
        reverse("instrument-photos", args=[instrument.pk]), {"image": upload("notes.jpg", b"%PDF-1.4 not a photo")}
    )

    assert response.status_code == 400
    assert "is not a JPEG, PNG or WebP image" in response.content.decode()
    assert 'class="errorlist"' in response.content.decode()
    assert not InstrumentPhoto.objects.exists()


def test_page_refuses_a_bomb(unit_manager, instrument):
    response = page_client(unit_manager).post(
        reverse("instrument-photos", args=[instrument.pk]), {"image": upload("tiny.png", png_bomb())}
    )

    assert response.status_code == 400
    assert "megapixels" in response.content.decode()


@pytest.mark.parametrize(("who", "status"), [("other_unit_manager", 403), ("unit_member", 403), ("anonymous", 302)])
def test_photos_page_is_for_the_units_managers(request, instrument, who, status):
    user = None if who == "anonymous" else request.getfixturevalue(who)
    client = page_client(user)
    url = reverse("instrument-photos", args=[instrument.pk])

    assert client.get(url).status_code == status
    assert client.post(url, {"image": upload("a.png", png())}).status_code == status
    assert not InstrumentPhoto.objects.exists()


def test_without_a_photo_the_category_drawing_is_shown(unit):
    sem = InstrumentFactory(unit=unit, category=category_get("electron-optics"))  # under "analytical"
    laser = InstrumentFactory(unit=unit, category=category_get("lasers"))

    catalogue = Client().get(reverse("catalogue")).content.decode()
    assert "/static/img/categories/analytical.svg" in catalogue
    assert "/static/img/categories/lasers.svg" in catalogue
    detail = Client().get(reverse("instrument-detail", args=[sem.pk])).content.decode()
    assert "/static/img/categories/analytical.svg" in detail
    assert APIClient().get(f"/api/v1/instruments/{laser.pk}/").json()["thumbnail_url"] is None


def test_every_top_level_category_has_its_drawing():
    from django.conf import settings

    from instruments.selectors.photos import FALLBACK_ILLUSTRATION, ILLUSTRATED_CATEGORIES

    folder = Path(settings.BASE_DIR) / "static" / "img" / "categories"
    for code in [*ILLUSTRATED_CATEGORIES, FALLBACK_ILLUSTRATION]:
        text = (folder / f"{code}.svg").read_text()
        assert text.startswith("<svg")
        assert "<script" not in text


def test_photo_files_are_served_with_their_type_and_nothing_else(settings, unit_manager, instrument, media_root):
    settings.DEBUG = False
    body = api_upload(unit_manager, instrument, webp()).json()
    path = body["thumbnail_small_url"].split("/media/", 1)[1]
    (media_root / "instruments" / "secret.txt").write_text("not a photo")

    response = Client().get(f"/media/{path}")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert "immutable" in response["Cache-Control"]
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8")
    assert Client().get(f"/media/{body['image_url'].split('/media/', 1)[1]}")["Content-Type"] == "image/webp"
    assert Client().get("/media/instruments/secret.txt").status_code == 404
    assert Client().get("/media/instruments/photos/2026/01/../../secret.txt").status_code == 404
    assert Client().get("/media/credit/repair/2026/01/" + "a" * 32 + ".jpg").status_code == 404


def test_a_phones_multi_picture_jpeg_is_a_jpeg(unit_manager, instrument):
    frames = [Image.new("RGB", (640, 480), (200, 40, 40)), Image.new("RGB", (320, 240), (0, 0, 0))]
    buffer = io.BytesIO()
    frames[0].save(buffer, "MPO", save_all=True, append_images=frames[1:])
    with Image.open(io.BytesIO(buffer.getvalue())) as check:
        assert check.format == "MPO"

    response = api_upload(unit_manager, instrument, buffer.getvalue())

    assert response.status_code == 201, response.content
    assert response.json()["content_type"] == "image/jpeg"
    assert (response.json()["width"], response.json()["height"]) == (640, 480)


def test_a_large_photo_is_kept_at_2000_pixels_without_its_metadata(unit_manager, instrument, media_root):
    response = api_upload(unit_manager, instrument, jpeg_with_exif((4400, 3300), orientation=8))

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["width"], body["height"]) == (1500, 2000)  # turned upright, decoded at half size
    raw = stored(body["image_url"], media_root).read_bytes()
    assert b"SecretCam" not in raw
    with Image.open(stored(body["thumbnail_large_url"], media_root)) as large:
        assert large.size == (900, 1200)
