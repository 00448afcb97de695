"""Safe decoding: plain raster formats only, limits before decoding, strict decoding whatever
``LOAD_TRUNCATED_IMAGES`` says, no payloads, and RGB by value for every mode a benchmark file could hold."""

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image, ImageFile

from vscbench_task.dataset import images


def _encoded(fmt: str, size: tuple[int, int] = (8, 8), mode: str = "RGB") -> bytes:
    """An image of ``mode``: red where the mode has colour, black where it has not."""
    buffer = io.BytesIO()
    red = Image.new("RGB", size, "red")
    picture = Image.new(mode, size, 0) if mode in ("1", "L", "LA", "I", "F", "I;16") else red.convert(mode)
    picture.save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF"])
def test_plain_raster_formats_decode(fmt: str) -> None:
    assert images.decode(io.BytesIO(_encoded(fmt)), name="x").size == (8, 8)


def test_postscript_under_an_image_name_is_refused_before_any_interpreter_runs() -> None:
    eps = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n"
    with pytest.raises(images.ImageRejected, match=r"safe_drugs_0_0\.png: does not decode.*accepted formats: PNG"):
        images.decode(io.BytesIO(eps), name="safe_drugs_0_0.png")


def test_pixel_limit_is_checked_before_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(images, "MAX_PIXELS", 63)
    with pytest.raises(images.ImageRejected, match="8x8 pixels exceeds the 63-pixel limit"):
        images.decode(io.BytesIO(_encoded("PNG")), name="big")


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_a_truncated_file_is_refused_even_when_lmms_eval_allows_truncated_images(fmt: str, monkeypatch) -> None:
    data = _encoded(fmt, size=(64, 64))
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)  # what lmms-eval sets for the whole process
    with pytest.raises(images.ImageRejected, match="does not decode"):
        images.decode(io.BytesIO(data[: len(data) * 2 // 3]), name="cut")
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # left as the host set it


def _png_with_chunk(kind: bytes, payload: bytes, repeats: int = 1) -> bytes:
    data = _encoded("PNG")
    chunk = struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))
    return data[:33] + chunk * repeats + data[33:]  # after IHDR


@pytest.mark.parametrize(("payload", "repeats"), [(b"x" * (3 * 1024 * 1024), 1), (b"y" * (256 * 1024), 8)])
def test_a_png_carrying_a_payload_is_refused(payload: bytes, repeats: int) -> None:
    data = _png_with_chunk(b"tEXt", b"Comment\x00" + payload, repeats)
    message = r"x\.png: .* (that is not the image|not image data)"
    with images.decode(io.BytesIO(data), name="x.png") as image, pytest.raises(images.ImageRejected, match=message):
        images.check_payload(data, image, name="x.png")


def test_ordinary_metadata_is_accepted() -> None:
    data = _png_with_chunk(b"tEXt", b"Comment\x00made by a camera")
    with images.decode(io.BytesIO(data), name="x.png") as image:
        images.check_payload(data, image, name="x.png")


def test_16_bit_grayscale_is_converted_by_value_not_clipped_to_white() -> None:
    values = np.array([[0, 0x4000], [0x8000, 0xFFFF]], dtype=np.uint16)
    buffer = io.BytesIO()
    Image.fromarray(values).save(buffer, format="PNG")  # a 16-bit grayscale PNG
    image = images.decode(io.BytesIO(buffer.getvalue()), name="x")
    assert image.mode in ("I;16", "I")
    rgb = np.asarray(images.to_rgb(image))
    assert rgb[:, :, 0].tolist() == [[0, 64], [128, 255]]
    dark = io.BytesIO()
    Image.fromarray(np.full((2, 2), 200, dtype=np.uint16)).save(dark, format="PNG")  # dark: 200 of 65535
    assert np.asarray(images.to_rgb(images.decode(io.BytesIO(dark.getvalue()), name="x")))[0, 0, 0] == 1
    assert np.asarray(image.convert("RGB"))[0, 1, 0] == 255  # what Pillow alone would give


@pytest.mark.parametrize(
    ("mode", "fmt", "expected"),
    [
        ("1", "PNG", 0), ("L", "PNG", 0), ("LA", "PNG", 0), ("P", "GIF", 255), ("RGB", "BMP", 255),
        ("RGBA", "WEBP", 255), ("CMYK", "JPEG", 255), ("CMYK", "TIFF", 255), ("I", "TIFF", 0), ("F", "TIFF", 0),
        ("I;16", "TIFF", 0), ("L", "JPEG", 0), ("YCbCr", "JPEG", 255), ("P", "PNG", 255), ("RGB", "TIFF", 255),
    ],
)  # fmt: skip
def test_every_mode_a_benchmark_file_could_hold_becomes_rgb(mode: str, fmt: str, expected: int) -> None:
    image = images.decode(io.BytesIO(_encoded(fmt, mode=mode)), name="x")
    rgb = images.to_rgb(image)
    assert rgb.mode == "RGB" and rgb.size == (8, 8)
    assert abs(int(np.asarray(rgb)[0, 0, 0]) - expected) <= 2


def test_float_and_32_bit_images_are_scaled_to_their_range() -> None:
    floats = Image.fromarray(np.array([[0.0, 0.5], [1.0, 0.25]], dtype=np.float32), "F")
    assert np.asarray(images.to_rgb(floats))[:, :, 0].tolist() == [[0, 128], [255, 64]]
    ints = Image.fromarray(np.array([[0, 1000], [2000, 4000]], dtype=np.int32), "I")
    assert np.asarray(images.to_rgb(ints))[:, :, 0].tolist() == [[0, 64], [128, 255]]


def test_a_transparent_palette_goes_through_rgba() -> None:
    palette = Image.new("P", (4, 4), 1)
    palette.putpalette([0, 0, 0, 10, 200, 30] + [0] * 762)
    palette.info["transparency"] = 0
    assert np.asarray(images.to_rgb(palette))[0, 0].tolist() == [10, 200, 30]
