"""Text for ReportLab PDFs that is shown, never obeyed.

ReportLab's `Paragraph` reads its text as markup: `<img src="...">` embeds any file the server can
read, `<a href>` adds links, `<font>` and `<para>` change the layout, and a tag it cannot parse
raises an error. A unit's or a person's name put into a paragraph as it is therefore lets its
author read files off the server (issue 12). Every PDF builds its paragraphs with `text_paragraph`
(the whole text is literal) or, when it really needs markup of its own, escapes each outside value
with `markup_escape` first. Plain strings in table cells are drawn as they are and need neither.
"""

from __future__ import annotations

from xml.sax.saxutils import escape


def markup_escape(value: object) -> str:
    """`value` as text ReportLab's paragraph parser shows literally (`&`, `<` and `>` escaped)."""
    return escape(str(value))


def text_paragraph(text: object, style):
    """A Paragraph showing `text` exactly: nothing in it is read as markup."""
    from reportlab.platypus import Paragraph

    return Paragraph(markup_escape(text), style)
