"""Issue 12.1: a repair request's proof document is stored under a random name, not the uploader's."""

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from credit.models import RepairRequest
from tests.credit.factories import ListEntryFactory

pytestmark = pytest.mark.django_db

RANDOM_PATH = re.compile(r"credit/repair/\d{4}/\d{2}/[0-9a-f]{32}(\.[a-z]+)?\Z")
PROOF = b"%PDF-1.4 bank transfer receipt"


@pytest.fixture
def repairable(user):
    """A published black-list entry of `user` past its minimum publication period."""
    now = timezone.now()
    return ListEntryFactory(
        subject=user,
        status="published",
        severity="general",
        published_at=now - timedelta(days=100),
        expires_at=now + timedelta(days=80),
    )


def assert_random(name: str, original_stem: str, extension: str) -> None:
    assert RANDOM_PATH.match(name), name
    assert name.endswith(extension)
    assert original_stem.lower() not in name.lower()


def test_api_repair_proof_gets_a_random_name(api_client, user, repairable, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    api_client.force_authenticate(user)
    proof = SimpleUploadedFile("Receipt Li Wei 2026.PDF", PROOF, content_type="application/pdf")
    body = {"proof_text": "Damage paid on 3 March.", "commitment_signed": True, "proof_file": proof}

    response = api_client.post(f"/api/v1/credit/entries/{repairable.pk}/repairs/", body, format="multipart")

    assert response.status_code == 201, response.content
    name = RepairRequest.objects.get().proof_file.name
    assert_random(name, "Receipt Li Wei 2026", ".pdf")
    assert (tmp_path / name).read_bytes() == PROOF


def test_page_repair_proof_gets_a_random_name(client, user, repairable, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(user)
    proof = SimpleUploadedFile("proof.svg", b"<svg onload='alert(1)'/>", content_type="image/svg+xml")

    client.post(
        reverse("credit:repair-create", args=[repairable.pk]),
        {"proof_text": "Paid", "commitment_signed": "on", "proof_file": proof},
    )

    name = RepairRequest.objects.get().proof_file.name
    assert_random(name, "proof", "")
    assert "." not in name.rsplit("/", 1)[-1]  # an SVG (a page a browser runs) keeps no extension
