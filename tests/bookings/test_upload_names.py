"""Issue 12.1: incident evidence is stored under a random name, never under the uploader's file name.

The original names were guessable (`incidents/YYYY/MM/<original name>`), which let the PDF markup
attack read other people's incident photos. Checked through the API and the page; existing files
are moved to random names by the migration.
"""

import re
from importlib import import_module

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.urls import reverse
from django.utils import timezone

from bookings import services
from bookings.models import IncidentAttachment

RANDOM_PATH = re.compile(r"incidents/\d{4}/\d{2}/[0-9a-f]{32}(\.[a-z]+)?\Z")
PHOTO = b"\xff\xd8\xff\xe0 a photo of the cracked stage"


@pytest.fixture
def in_use(make_booking, unit_manager, researcher):
    booking = make_booking(hours=2, days=3)
    services.booking_approve(booking_id=booking.pk, actor=unit_manager)
    return services.booking_check_in(booking_id=booking.pk, actor=researcher, now=booking.start)


def assert_stored_randomly(name: str, original: str, extension: str) -> None:
    assert RANDOM_PATH.match(name), name
    assert name.endswith(extension)
    stem = original.rsplit(".", 1)[0]
    assert stem not in name
    assert stem.lower() not in name.lower()
    month = timezone.localdate().strftime("%Y/%m")
    assert name.startswith(f"incidents/{month}/")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("original", "extension"),
    [
        ("IMG_0412 stage crack.JPG", ".jpg"),
        ("../../evil.html", ""),
        ("report.pdf.exe", ""),
        ("no-extension", ""),
    ],
)
def test_api_incident_attachment_gets_a_random_name(
    api_client, in_use, unit_manager, settings, tmp_path, original, extension
):
    settings.MEDIA_ROOT = tmp_path
    api_client.force_authenticate(unit_manager)
    body = {"kind": "damage", "severity": "general", "estimated_loss": "500", "description": "Cracked stage"}
    body["attachments"] = [SimpleUploadedFile(original, PHOTO, content_type="image/jpeg")]

    response = api_client.post(f"/api/v1/bookings/{in_use.pk}/incidents/", body, format="multipart")

    assert response.status_code == 201, response.content
    attachment = IncidentAttachment.objects.get()
    assert_stored_randomly(attachment.file.name, original, extension)
    assert response.json()["attachments"] == [attachment.file.name]
    assert (tmp_path / attachment.file.name).read_bytes() == PHOTO
    assert [path.name for path in tmp_path.rglob("*") if path.is_file()] == [attachment.file.name.rsplit("/")[-1]]


@pytest.mark.django_db
def test_page_incident_attachment_gets_a_random_name(client, in_use, researcher, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(researcher)
    body = {"kind": "misuse", "severity": "general", "estimated_loss": "1", "description": "Wrong solvent"}
    photo = SimpleUploadedFile("Zhang San evidence.png", PHOTO, content_type="image/png")

    response = client.post(reverse("bookings:incident-report", args=[in_use.pk]), {**body, "attachment": photo})

    assert response.status_code == 302
    name = IncidentAttachment.objects.get().file.name
    assert_stored_randomly(name, "Zhang San evidence.png", ".png")
    assert default_storage.open(name).read() == PHOTO


@pytest.mark.django_db
def test_migration_moves_existing_files_to_random_names(
    in_use, unit_manager, settings, tmp_path, django_capture_on_commit_callbacks
):
    """Files uploaded before the change (under their original names) are renamed; missing ones left alone.

    Runs the migration's own data step with the historical models of that migration.
    """
    settings.MEDIA_ROOT = tmp_path
    incident = services.incident_report(
        booking_id=in_use.pk, reporter=unit_manager, kind="damage", severity="minor", description="Loose stage"
    )
    old_dir = tmp_path / "incidents" / "2025" / "03"
    old_dir.mkdir(parents=True)
    (old_dir / "IMG_0412.jpg").write_bytes(PHOTO)
    kept = IncidentAttachment.objects.create(incident=incident, file="incidents/2025/03/IMG_0412.jpg")
    missing = IncidentAttachment.objects.create(incident=incident, file="incidents/2025/03/gone.jpg")
    loader = MigrationLoader(connection)
    key = next(key for key in loader.graph.nodes if key[0] == "bookings" and key[1].endswith("_random_names"))
    migration = import_module(f"bookings.migrations.{key[1]}")

    with django_capture_on_commit_callbacks(execute=True):
        migration.rename_existing(loader.project_state(key).apps, None)

    kept.refresh_from_db()
    missing.refresh_from_db()
    assert RANDOM_PATH.match(kept.file.name), kept.file.name
    assert "IMG_0412" not in kept.file.name
    assert (tmp_path / kept.file.name).read_bytes() == PHOTO
    assert not (old_dir / "IMG_0412.jpg").exists()
    assert missing.file.name == "incidents/2025/03/gone.jpg"
