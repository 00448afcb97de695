"""A stand-in for the authors' image archive: the official file names, synthetic pictures.

The real images can only be downloaded by hand from Google Drive, so tests, benchmarks and the demo
build this instead. Every file named by the metadata is present, encoded in the format its extension
says, and, when large enough to show it, labelled as synthetic; the archive also carries a
``STAND-IN.txt`` saying so.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from tqdm import tqdm

from vscbench_task.dataset import datadir
from vscbench_task.dataset import metadata as md

# Folder the two image folders sit in inside the archive (the real archive's parent name is unknown).
ARCHIVE_ROOT = "VSCBench-standin"
NOTICE = "SYNTHETIC STAND-IN for the VSCBench image archive: official file names, generated pictures.\n"
FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP"}
LABEL_MIN_SIZE = 48  # pixels: the written label needs at least this much room


@cache
def _font() -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    return ImageFont.load_default()  # loading it is most of the cost of a small picture: once per process


def synthetic_image(relpath: str, size: int) -> bytes:
    """A deterministic picture for one file: a colour from the name's hash, the name written on it."""
    digest = hashlib.sha256(relpath.encode()).digest()
    image = Image.new("RGB", (size, size), tuple(digest[:3]))
    draw = ImageDraw.Draw(image)
    for i in range(0, size, max(size // 8, 1)):  # some structure, so encoders do real work
        draw.line([(0, i), (size, size - i)], fill=tuple(digest[3 + i % 20 : 6 + i % 20]), width=max(size // 64, 1))
    if size >= LABEL_MIN_SIZE:  # smaller pictures cannot show it, and rendering it is most of the cost
        draw.text((4, 4), "SYNTHETIC\n" + relpath.rsplit("/", 1)[-1], fill=(255, 255, 255), font=_font())
    buffer = io.BytesIO()
    image.save(buffer, format=FORMATS[Path(relpath).suffix.lower()])
    return buffer.getvalue()


def build(dest: Path, *, size: int = 64, as_zip: bool = True, files: tuple[str, ...] | None = None) -> Path:
    """Write a stand-in archive (``dest`` as a .zip) or extracted folder (``dest`` as a directory)."""
    files = md.referenced_files() if files is None else files
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if as_zip:
        with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_STORED) as archive:
            archive.writestr(f"{ARCHIVE_ROOT}/{datadir.STANDIN_MARKER}", NOTICE)
            for relpath in tqdm(files, desc="stand-in archive", unit="img"):
                archive.writestr(f"{ARCHIVE_ROOT}/{relpath}", synthetic_image(relpath, size))
    else:
        (dest / ARCHIVE_ROOT).mkdir(parents=True, exist_ok=True)
        (dest / ARCHIVE_ROOT / datadir.STANDIN_MARKER).write_text(NOTICE)
        for relpath in tqdm(files, desc="stand-in folder", unit="img"):
            target = dest / ARCHIVE_ROOT / relpath
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(synthetic_image(relpath, size))
    return dest
