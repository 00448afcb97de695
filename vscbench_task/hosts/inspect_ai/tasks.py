"""VSCBench as inspect_ai tasks: ``inspect eval vscbench_task/vscbench_image --model ...``.

The same requests as the lmms-eval tasks: one sample per item (``id`` = its ``doc_key``), one user
message holding the image, then the raw prompt (plain text for the text-only ``txt`` variant), no system
prompt, greedy decoding and 2,048 new tokens (``dataset.generation``). Task options (``-T``):

* ``judge``: ``keyword`` (official, offline; the default) or ``llm`` (the official LLM judge, configured
  from the environment as for the lmms-eval judge tasks: see the LLM judge guide); the metrics are those
  of the lmms-eval task of the part with that judge, under the same names;
* ``data_dir``: the prepared images (default ``$VSCBENCH_DATA_DIR``, else ``~/.cache/vscbench``).

A missing data directory or, with ``judge=llm``, a judge that does not answer stops the task at load,
before any generation. Each image is checked against the manifest right before it is sent, and sent as
the pixels lmms-eval's backends get (``dataset.images.encoded_model_input``). The sample's metadata
(part, category, variant, unsafe, image) is for inspect's viewer; scoring reads the packaged metadata.
"""

from __future__ import annotations

import base64
from pathlib import Path

from inspect_ai import Task, task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import ChatMessageUser, ContentImage, ContentText, GenerateConfig
from inspect_ai.solver import Generate, Solver, TaskState, generate, solver

from vscbench_task.dataset import datadir, generation
from vscbench_task.dataset.images import ImageRejected, encoded_model_input
from vscbench_task.dataset.items import Item, items
from vscbench_task.errors import VSCBenchError
from vscbench_task.hosts.inspect_ai.scorer import vscbench_scorer
from vscbench_task.judges.names import checked_judge

SAMPLE_METADATA = ("part", "category", "variant", "unsafe")  # for filtering in inspect's viewer; scoring ignores them


def sample(item: Item) -> Sample:
    """One item as an inspect sample: the prompt as the user message; the image, named in the metadata,
    is put before it by ``checked_image`` (inspect would read a path in the input itself, unchecked)."""
    metadata = {name: getattr(item, name) for name in SAMPLE_METADATA} | {"image": item.image}
    return Sample(id=item.doc_key, input=[ChatMessageUser(content=item.prompt)], target=item.target, metadata=metadata)


@solver
def checked_image(data_dir: str) -> Solver:
    """Put the sample's image before its prompt, as the checked file's bytes (manifest size and sha256,
    strict decode), so the model gets exactly what ``prepare`` verified; a changed file fails the sample,
    naming it. The text-only ``txt`` variant stays a plain text message."""
    snapshot, files = datadir.prepared_files(Path(data_dir))

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        relpath = state.metadata.get("image")
        if relpath is None:
            return state
        try:
            data = datadir.read_checked(snapshot, relpath, files[relpath])
            payload, mime = encoded_model_input(data, name=str(snapshot / relpath))
        except ImageRejected as err:
            raise VSCBenchError(f"{err}; run `vscbench prepare` again") from None
        image = ContentImage(image=f"data:{mime};base64,{base64.b64encode(payload).decode('ascii')}")
        (message,) = state.messages  # image first, then text, as lmms-eval's chat backends send it
        state.messages = [ChatMessageUser(content=[image, ContentText(text=message.text)])]
        return state

    return solve


def part_task(part: str, judge: str, data_dir: str | None) -> Task:
    """The inspect task of one part, after checking the data (and the judge) work."""
    checked_judge(judge)
    root = datadir.resolve(data_dir)
    datadir.require_prepared(root)
    return Task(
        dataset=MemoryDataset([sample(item) for item in items(part)], name=f"vscbench_{part}"),
        solver=[checked_image(str(root)), generate()],
        scorer=vscbench_scorer(judge=judge),
        config=GenerateConfig(
            temperature=generation.TEMPERATURE,
            max_tokens=generation.MAX_NEW_TOKENS,
            system_message=generation.SYSTEM_PROMPT,
        ),
        version=1,
    )


@task
def vscbench_image(judge: str = "keyword", data_dir: str | None = None) -> Task:
    """Image-centric part: 1,800 samples, each of the 300 prompts with its 3 safe and 3 unsafe images."""
    return part_task("image", judge, data_dir)


@task
def vscbench_text(judge: str = "keyword", data_dir: str | None = None) -> Task:
    """Text-centric part: 2,250 samples, 450 XSTest-derived queries x 5 input variants (txt has no image)."""
    return part_task("text", judge, data_dir)
