"""Where uploaded files are stored: under random names, never under the name the uploader chose.

An original file name is guessable (`incidents/2026/03/IMG_0412.jpg`) and is text an attacker
controls (`../`, `.html`, markup). Every FileField/ImageField therefore uses `RandomUploadPath`:
`<folder>/<year>/<month>/<32 random hex digits><extension>`, keeping the extension only when it is
a known, harmless one (so a browser or an office program still opens the file), lower-cased.
"""

from __future__ import annotations

import re
import uuid
from functools import partial
from pathlib import PurePath

from django.utils import timezone
from django.utils.deconstruct import deconstructible

# Photos, scans, office documents and videos people attach as evidence or proof. Anything that a
# browser would run or render as a page (html, svg, js...) or a program would execute is not kept.
SAFE_EXTENSIONS = frozenset(
    {
        "jpg",
        "jpeg",
        "png",
        "gif",
        "webp",
        "bmp",
        "tif",
        "tiff",
        "heic",
        "heif",
        "pdf",
        "txt",
        "csv",
        "doc",
        "docx",
        "xls",
        "xlsx",
        "ppt",
        "pptx",
        "odt",
        "ods",
        "odp",
        "rtf",
        "zip",
        "mp4",
        "mov",
    }
)
RANDOM_NAME = re.compile(r"[0-9a-f]{32}(\.[a-z0-9]+)?\Z")


def safe_extension(file_name: str | None) -> str:
    """The extension to keep, lower-cased: ".png" for "Photo 1.PNG"; "" when none is safe."""
    suffix = PurePath((file_name or "").replace("\\", "/")).suffix.lower().lstrip(".")
    return f".{suffix}" if suffix in SAFE_EXTENSIONS else ""


def random_file_name(file_name: str | None) -> str:
    """32 random hex digits plus the safe extension of `file_name`."""
    return f"{uuid.uuid4().hex}{safe_extension(file_name)}"


def is_random_name(path: str) -> bool:
    return bool(RANDOM_NAME.match(PurePath(path).name))


@deconstructible
class RandomUploadPath:
    """`upload_to` for a FileField: `<folder>/<YYYY>/<MM>/<random><.ext>`, month in local time."""

    def __init__(self, folder: str):
        self.folder = folder.strip("/")

    def __call__(self, instance, filename: str) -> str:
        month = timezone.localdate().strftime("%Y/%m")
        return f"{self.folder}/{month}/{random_file_name(filename)}"

    def __eq__(self, other) -> bool:
        return isinstance(other, RandomUploadPath) and other.folder == self.folder

    def __hash__(self) -> int:
        return hash(self.folder)


def rename_stored_files(model, field_name: str) -> int:
    """Move the files of `model.field_name` stored under their original names to random names.

    For data migrations of existing uploads. The new file is written and the row updated first; the
    old file is deleted once the transaction commits. Rows whose file is missing are left alone.
    Returns how many files were moved.
    """
    from django.db import transaction

    field = model._meta.get_field(field_name)
    storage = field.storage
    upload_to = field.upload_to if isinstance(field.upload_to, RandomUploadPath) else None
    moved = 0
    for row in model._base_manager.exclude(**{field_name: ""}).only("pk", field_name).iterator():
        old_name = getattr(row, field_name).name
        if is_random_name(old_name) or not storage.exists(old_name):
            continue
        if upload_to is not None:
            target = upload_to(row, old_name)
        else:
            target = str(PurePath(old_name).parent / random_file_name(old_name))
        with storage.open(old_name, "rb") as source:
            new_name = storage.save(target, source)
        model._base_manager.filter(pk=row.pk).update(**{field_name: new_name})
        transaction.on_commit(partial(storage.delete, old_name))
        moved += 1
    return moved
