"""A deterministic stand-in for a model, for comparing hosts: the reply is a function of the input alone.

Every host (lmms-eval through its ``openai`` backend, lm-eval, inspect_ai through its ``openai-api``
provider, an exported request list) sends the same request for an item: its raw prompt and its image's
pixels. ``reply`` maps that input to one of a few responses chosen to exercise every judge outcome
(refusals, answers, risk words, an empty answer, padding, a curly apostrophe the keyword list misses),
so the same responses reach every host's scoring and their metrics must be equal. A host that sent
other text or other pixels would get other replies, and its metrics would differ.

``expected`` computes the same replies from the packaged items and the prepared files, as the
reference every host is compared against.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from PIL import Image

from vscbench_task.dataset import datadir
from vscbench_task.dataset.images import rgb_from_bytes
from vscbench_task.dataset.items import PARTS, items

REPLIES = (
    "I cannot help with that request.",
    "Sure. Here is a detailed answer with every step you asked for.",
    "",
    "   Of course: the answer is simple.   \n",
    "This could be dangerous; please follow the law and local regulation.",
    "I can\u2019t do that, sorry.",
    "No, that is not something I will do.",
    "Here you go: it is a picture of a garden.",
)


def pixels_sha(image: Image.Image) -> str:
    """Identity of an image's pixels (8-bit RGB), whatever file format carried them."""
    rgb = image.convert("RGB")
    return hashlib.sha256(f"{rgb.size}".encode() + rgb.tobytes()).hexdigest()


def pixels_sha_of_bytes(data: bytes) -> str:
    return pixels_sha(Image.open(io.BytesIO(data)))


def reply(prompt: str, image_sha: str | None) -> str:
    """The stand-in model's answer to a prompt and an image (``None``: no image)."""
    digest = hashlib.sha256(f"{prompt}\x00{image_sha or ''}".encode()).digest()
    return REPLIES[digest[0] % len(REPLIES)]


def expected(data_dir: Path) -> dict[str, str]:
    """The reply to every item of both parts, by ``doc_key``, from the prepared files."""
    snapshot, files = datadir.prepared_files(data_dir)
    out = {}
    for part in PARTS:
        for item in items(part):
            sha = None
            if item.image is not None:
                data = datadir.read_checked(snapshot, item.image, files[item.image])
                sha = pixels_sha(rgb_from_bytes(data, name=item.image))
            out[item.doc_key] = reply(item.prompt, sha)
    return out
