"""Statement files: the formula guard, the PDF font (found where Debian puts it, configurable, a clear
error when missing), and the Docker image installing that font."""

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from sharing_platform.pdf import PDF_FONT_CANDIDATES, pdf_font_path
from sharing_platform.spreadsheets import csv_cell

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
        ("+86 21 5555", "'+86 21 5555"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\t=1", "'\t=1"),
        ("NSFC-2026", "NSFC-2026"),
        ("测试单位", "测试单位"),
    ],
)
def test_csv_cell_neutralises_formula_like_text(value, expected):
    assert csv_cell(value) == expected


def test_pdf_font_is_the_debian_package_path_by_default(settings):
    settings.PDF_FONT = ""
    assert pdf_font_path() == Path(PDF_FONT_CANDIDATES[0])


def test_pdf_font_setting_pointing_nowhere_is_a_clear_error(settings, tmp_path):
    settings.PDF_FONT = str(tmp_path / "missing.ttf")
    with pytest.raises(ImproperlyConfigured, match="fonts-wqy-microhei"):
        pdf_font_path()


def test_docker_image_installs_the_pdf_font():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "fonts-wqy-microhei" in dockerfile
    assert PDF_FONT_CANDIDATES[0] == "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
