"""Text for ReportLab PDFs that is shown, never obeyed.

ReportLab's `Paragraph` reads its text as markup: `<img src="...">` embeds any file the server can
read, `<a href>` adds links, `<font>` and `<para>` change the layout, and a tag it cannot parse
raises an error. A unit's or a person's name put into a paragraph as it is therefore lets its
author read files off the server. Every PDF builds its paragraphs with `text_paragraph`
(the whole text is literal) or, when it really needs markup of its own, escapes each outside value
with `markup_escape` first. Plain strings in table cells are drawn as they are and need neither.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# Every PDF embeds one TrueType font that covers Chinese and Latin text, so both render with their
# real widths in any viewer (ReportLab's built-in fonts are not embedded and have no Chinese).
PDF_FONT_NAME = "PlatformCJK"
PDF_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # Debian/Ubuntu: fonts-wqy-microhei
    "/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",  # Fedora, Arch
)


def markup_escape(value: object) -> str:
    """`value` as text ReportLab's paragraph parser shows literally (`&`, `<` and `>` escaped)."""
    return escape(str(value))


def text_paragraph(text: object, style):
    """A Paragraph showing `text` exactly: nothing in it is read as markup."""
    from reportlab.platypus import Paragraph

    return Paragraph(markup_escape(text), style)


def pdf_font_path() -> Path:
    """The TrueType font embedded in PDFs: settings.PDF_FONT, else the first candidate found."""
    configured = getattr(settings, "PDF_FONT", "")
    candidates = [configured] if configured else list(PDF_FONT_CANDIDATES)
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise ImproperlyConfigured(
        "No font for PDF exports: install fonts-wqy-microhei (Debian) or set PDF_FONT to a TrueType "
        f"font with Chinese glyphs (looked at {', '.join(candidates)})."
    )


def pdf_font() -> str:
    """Register the embedded font once per process and return its ReportLab name."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if PDF_FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(PDF_FONT_NAME, str(pdf_font_path()), subfontIndex=0))
    return PDF_FONT_NAME
