"""Safe decoding: only plain raster formats, and a pixel limit checked before decoding."""

import io

import pytest
from PIL import Image

from vscbench_task.dataset import images


def _encoded(fmt: str, size: tuple[int, int] = (8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, format=fmt)
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
