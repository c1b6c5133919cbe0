"""Issue 12.1: a unit's name is shown in the evaluation PDF, never read as ReportLab markup.

The attack: a fresh account registers a (pending) unit whose name holds `<img src="...">`, then
downloads its own evaluation PDF and finds any image the server can read embedded in it; a bad tag
answered 500. Checked here through HTTP (API with a token, and the page with a session), with the
PDF opened by a PDF parser.
"""

import io
import struct
import zlib

import pytest
from pypdf import PdfReader

from instruments.models import Unit
from instruments.validators import uscc_build

pytestmark = pytest.mark.django_db

PASSWORD = "radium-and-polonium-1898"


def png_bytes(width: int = 8, height: int = 8) -> bytes:
    """A real red PNG image, written with the standard library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _row in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def register_with_unit(client, unit_name: str, number: int) -> tuple[str, Unit]:
    """What an attacker does: sign up, get a token, register a unit (it stays pending)."""
    username = f"mallory{number}"
    response = client.post(
        "/api/v1/auth/register/",
        {"username": username, "email": f"{username}@example.org", "password": PASSWORD},
        format="json",
    )
    assert response.status_code == 201, response.content
    response = client.post("/api/v1/auth/token/", {"username": username, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    token = response.json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.post(
        "/api/v1/units/",
        {
            "name": unit_name,
            "name_en": unit_name,
            "kind": "enterprise",
            "credit_code": uscc_build(f"91310000MA1FL{number:04d}"),
            "region": "310000",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    unit = Unit.objects.get(pk=response.json()["id"])
    assert unit.status == Unit.Status.PENDING
    return username, unit


def pdf_facts(content: bytes) -> tuple[int, str]:
    """(images embedded anywhere in the document, all page text without whitespace)."""
    assert content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(content))
    images = sum(len(page.images) for page in reader.pages)
    # An image XObject anywhere in the file counts too, shown on a page or not (ReportLab writes
    # object dictionaries uncompressed).
    images += content.count(b"/Subtype /Image")
    text = "".join(page.extract_text() for page in reader.pages)
    return images, "".join(text.split())


def squeeze(text: str) -> str:
    return "".join(text.split())


def test_unit_name_with_img_tag_embeds_no_server_file(api_client, client, tmp_path):
    secret = tmp_path / "someone-elses-incident-photo.png"
    secret.write_bytes(png_bytes())
    name = f'M <img src="{secret}" width="50" height="50"/>'
    username, unit = register_with_unit(api_client, name, 1)

    api_pdf = api_client.get(f"/api/v1/analytics/units/{unit.pk}/evaluation/", {"format": "pdf"})
    client.login(username=username, password=PASSWORD)
    page_pdf = client.get(f"/analytics/units/{unit.pk}/evaluation/", {"format": "pdf"})

    for response in (api_pdf, page_pdf):
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        images, text = pdf_facts(response.content)
        assert images == 0
        assert squeeze(name) in text


@pytest.mark.parametrize(
    "name",
    [
        "Unclosed <b>bold",
        '<img src="/nonexistent/file.png"/>',
        "<para><font size=80>R&D</para>",
        "Broken <a href=",
        "Entity &nbsp; & &#0; <br/>",
    ],
    ids=["unclosed-b", "missing-image", "bad-nesting", "broken-tag", "entities"],
)
def test_unit_name_with_bad_markup_gives_a_normal_pdf(api_client, name):
    _username, unit = register_with_unit(api_client, name, 2)

    response = api_client.get(f"/api/v1/analytics/units/{unit.pk}/evaluation/", {"format": "pdf"})

    assert response.status_code == 200
    images, text = pdf_facts(response.content)
    assert images == 0
    assert squeeze(name) in text
