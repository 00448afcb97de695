"""Decoding images safely: one place that knows the size limits and the RGB conversion models expect."""

from __future__ import annotations

from pathlib import Path
from typing import IO

from PIL import Image

# The official images are photos and rendered text of at most a few megapixels. Anything far larger is
# a broken or hostile file (a decompression bomb): refuse it before decoding a single pixel.
MAX_PIXELS = 40_000_000
# Plain raster formats only (the JPEG reader also takes multi-picture camera JPEGs). Others Pillow can
# open, such as EPS (rendered by Ghostscript), are no benchmark image and widen what a hostile file reaches.
ALLOWED_FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF")


class ImageRejected(ValueError):
    """An image file that does not decode, or that is too large to be a benchmark image."""


def decode(source: str | Path | IO[bytes], *, name: str | None = None) -> Image.Image:
    """Fully decode an image, refusing over-large dimensions first; raises ``ImageRejected``."""
    label = name or str(source)
    try:
        image = Image.open(source, formats=ALLOWED_FORMATS)
        width, height = image.size
        if width * height > MAX_PIXELS:
            raise ImageRejected(f"{label}: {width}x{height} pixels exceeds the {MAX_PIXELS:,}-pixel limit")
        image.load()
    except ImageRejected:
        raise
    except (OSError, ValueError, Image.DecompressionBombError, SyntaxError) as err:
        accepted = ", ".join(ALLOWED_FORMATS)
        raise ImageRejected(f"{label}: does not decode as an image ({err}); accepted formats: {accepted}") from None
    return image


def load_rgb(path: str | Path) -> Image.Image:
    """The model input for one image file: decoded and converted to RGB."""
    with open(path, "rb") as fh:
        return decode(fh, name=str(path)).convert("RGB")
