"""Decoding images safely: one place that knows the limits, strict decoding and the conversion to RGB.

* **Limits**: dimensions are checked before a pixel is decoded; a file may not carry more bytes than its
  pixels could need (plus room for metadata), and a PNG no more than ``MAX_ANCILLARY_BYTES`` of chunks
  that are not image data (a 60 MB text chunk is a payload, not a picture).
* **Strict decoding**: a truncated or damaged file is an error, whatever ``ImageFile.LOAD_TRUNCATED_IMAGES``
  says (lmms-eval sets it for the whole process, which would let a damaged image reach the model padded
  with grey).
* **RGB by value**: 16-bit and 32-bit grayscale and float images are scaled to 8 bits (Pillow's own
  conversion clips them, turning a 16-bit photo white); a palette with transparency goes through RGBA.
"""

from __future__ import annotations

import io
import struct
import threading
from pathlib import Path
from typing import IO

import numpy as np
from PIL import Image, ImageFile

# The official images are photos and rendered text of at most a few megapixels. Anything far larger is
# a broken or hostile file (a decompression bomb): refuse it before decoding a single pixel.
MAX_PIXELS = 40_000_000
# Plain raster formats only (the JPEG reader also takes multi-picture camera JPEGs). Others Pillow can
# open, such as EPS (rendered by Ghostscript), are no benchmark image and widen what a hostile file reaches.
ALLOWED_FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF")
MAX_ANCILLARY_BYTES = 1024 * 1024  # PNG chunks other than the image data: text, ICC profiles, EXIF
METADATA_ALLOWANCE = 2 * 1024 * 1024  # what a file may hold beyond its raw pixels
_STRICT = threading.Lock()  # ImageFile.LOAD_TRUNCATED_IMAGES is one flag for the whole process
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_IMAGE_CHUNKS = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"acTL", b"fcTL", b"fdAT"}


class ImageRejected(ValueError):
    """An image file that does not decode, or that is too large to be a benchmark image."""


def _strict_load(image: Image.Image) -> None:
    with _STRICT:
        lenient = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            image.load()
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = lenient


def decode(source: str | Path | IO[bytes], *, name: str | None = None) -> Image.Image:
    """Fully and strictly decode an image, refusing over-large dimensions first; raises ``ImageRejected``."""
    label = name or str(source)
    try:
        image = Image.open(source, formats=ALLOWED_FORMATS)
        width, height = image.size
        if width * height > MAX_PIXELS:
            raise ImageRejected(f"{label}: {width}x{height} pixels exceeds the {MAX_PIXELS:,}-pixel limit")
        _strict_load(image)
    except ImageRejected:
        raise
    except (OSError, ValueError, Image.DecompressionBombError, SyntaxError) as err:
        accepted = ", ".join(ALLOWED_FORMATS)
        raise ImageRejected(f"{label}: does not decode as an image ({err}); accepted formats: {accepted}") from None
    return image


def _png_ancillary_bytes(data: bytes) -> int:
    """Bytes of a PNG's chunks that are not image data (a malformed chunk list counts as all of it)."""
    total, offset = 0, len(_PNG_SIGNATURE)
    while offset + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[offset : offset + 8])
        if kind not in _PNG_IMAGE_CHUNKS:
            total += length
        offset += 12 + length
        if kind == b"IEND":
            return total + len(data) - offset  # anything after the end is not image data either
    return total


def check_payload(data: bytes, image: Image.Image, *, name: str) -> None:
    """Refuse a file that carries far more than its picture: raises ``ImageRejected``."""
    width, height = image.size
    raw = width * height * max(len(image.getbands()), 1) * (4 if image.mode in ("I", "F", "I;16", "I;16B") else 1)
    if len(data) > raw + METADATA_ALLOWANCE:
        raise ImageRejected(
            f"{name}: {len(data):,} bytes for a {width}x{height} picture (at most {raw:,} bytes of pixels): it carries "
            "a payload that is not the image"
        )
    if data.startswith(_PNG_SIGNATURE) and (extra := _png_ancillary_bytes(data)) > MAX_ANCILLARY_BYTES:
        raise ImageRejected(
            f"{name}: {extra:,} bytes of PNG chunks that are not image data (text, metadata), over the "
            f"{MAX_ANCILLARY_BYTES:,}-byte limit"
        )


def to_rgb(image: Image.Image) -> Image.Image:
    """The image as 8-bit RGB by value: deep grayscale and float images scaled, not clipped."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        values = np.asarray(image, dtype=np.float64)
        top = values.max() if values.size else 0.0
        if image.mode.startswith("I;16") or (image.mode == "I" and image.format == "PNG"):  # PNG: 16-bit samples
            scale = 255 / 65535
        elif image.mode == "F" and values.min() >= 0.0 and top <= 1.0:
            scale = 255.0  # a float image in [0, 1]
        else:  # 32-bit integers or other floats: a range only the data tells
            scale = 255 / top if top > 255 else 1.0
        return Image.fromarray(np.clip(np.rint(values * scale), 0, 255).astype(np.uint8), "L").convert("RGB")
    if image.mode == "P" and "transparency" in image.info:
        return image.convert("RGBA").convert("RGB")
    return image.convert("RGB")


def rgb_from_bytes(data: bytes, *, name: str) -> Image.Image:
    """The model input from a file's bytes (already read, e.g. to check them)."""
    return to_rgb(decode(io.BytesIO(data), name=name))


_SENT_AS_IS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}


def encoded_model_input(data: bytes, *, name: str) -> tuple[bytes, str]:
    """The model input as encoded bytes and their MIME type, for hosts that send files, not pixels.

    An 8-bit RGB PNG, JPEG or WebP is sent as it is: any decoder gives the same pixels lmms-eval's
    backends get. Anything else (palette, alpha, grey, 16-bit, other formats) is converted by value
    (``to_rgb``) and sent as PNG, losslessly, so the pixels are those lmms-eval's backends get too.
    """
    image = decode(io.BytesIO(data), name=name)
    if image.mode == "RGB" and image.format in _SENT_AS_IS:
        return data, _SENT_AS_IS[image.format]
    buffer = io.BytesIO()
    to_rgb(image).save(buffer, format="PNG")
    return buffer.getvalue(), "image/png"
