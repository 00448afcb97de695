"""VSCBench as inspect_ai tasks: ``inspect eval vscbench_task/vscbench_image --model ...``.

The same requests as the lmms-eval tasks: one sample per item (``id`` = its ``doc_key``), one user
message holding the image, then the raw prompt (plain text for the text-only ``txt`` variant), no system
prompt, greedy decoding and 2,048 new tokens (``dataset.generation``). Task options (``-T``):

* ``judge``: ``keyword`` (official, offline; the default) or ``llm`` (the official LLM judge, configured
  from the environment as for the lmms-eval judge tasks: see the LLM judge guide); the metrics are those
  of the lmms-eval task of the part with that judge, under the same names;
* ``data_dir``: the prepared images (default ``$VSCBENCH_DATA_DIR``, else ``~/.cache/vscbench``);
* ``split``: ``full`` (the default), ``evaluation`` or ``calibration`` (``calibration.split``);
* ``method``: ``baseline`` (the default), ``reminder`` (the project's calibration reminder as a system
  message, inserted before any other) or ``fewshot`` (``shots`` demonstrations from the calibration split
  as prior user/assistant turns, each user turn with its image); a method runs on the evaluation split
  unless ``split`` says otherwise. The log records the task arguments, which ``vscbench`` reads back.

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
from inspect_ai.model import (
    ChatMessage,
    ChatMessageAssistant,
    ChatMessageUser,
    ContentImage,
    ContentText,
    GenerateConfig,
)
from inspect_ai.solver import Generate, Solver, TaskState, generate, solver, system_message

from vscbench_task.calibration import prompting
from vscbench_task.calibration.split import EVALUATION, FULL, SPLITS, split_items
from vscbench_task.dataset import datadir, generation
from vscbench_task.dataset.images import ImageRejected, encoded_model_input
from vscbench_task.dataset.items import Item
from vscbench_task.errors import VSCBenchError
from vscbench_task.hosts.inspect_ai.logs import METHODS
from vscbench_task.hosts.inspect_ai.scorer import vscbench_scorer
from vscbench_task.judges.names import checked_judge

SAMPLE_METADATA = ("part", "category", "variant", "unsafe")  # for filtering in inspect's viewer; scoring ignores them


def sample(item: Item, method: str = "baseline", shots: int = prompting.DEFAULT_SHOTS) -> Sample:
    """One item as an inspect sample: the prompt as the user message, after the demonstrations as prior
    turns for ``fewshot``; the images, named in the metadata (one per user message, ``None`` for none), are
    put before each user message's text by ``checked_image`` (inspect would read a path itself, unchecked)."""
    turns: list[ChatMessageUser | ChatMessageAssistant] = []
    images: list[str | None] = []
    if method == "fewshot":
        for demo in prompting.demonstrations(item, shots):
            turns += [ChatMessageUser(content=demo.item.prompt), ChatMessageAssistant(content=demo.answer)]
            images.append(demo.item.image)
    turns.append(ChatMessageUser(content=item.prompt))
    images.append(item.image)
    metadata = {name: getattr(item, name) for name in SAMPLE_METADATA} | {"image": item.image, "images": images}
    return Sample(id=item.doc_key, input=list(turns), target=item.target, metadata=metadata)


@solver
def checked_image(data_dir: str) -> Solver:
    """Put the sample's image before its prompt, as the checked file's bytes (manifest size and sha256,
    strict decode), so the model gets exactly what ``prepare`` verified; a changed file fails the sample,
    naming it. The text-only ``txt`` variant stays a plain text message."""
    snapshot, files = datadir.prepared_files(Path(data_dir))

    def image(relpath: str) -> ContentImage:
        try:
            data = datadir.read_checked(snapshot, relpath, files[relpath])
            payload, mime = encoded_model_input(data, name=str(snapshot / relpath))
        except ImageRejected as err:
            raise VSCBenchError(f"{err}; run `vscbench prepare` again") from None
        return ContentImage(image=f"data:{mime};base64,{base64.b64encode(payload).decode('ascii')}")

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        images = iter(state.metadata.get("images", [state.metadata.get("image")]))
        messages: list[ChatMessage] = []
        for message in state.messages:  # image first, then text, as lmms-eval's chat backends send it
            relpath = next(images) if isinstance(message, ChatMessageUser) else None
            if relpath is not None:
                message = ChatMessageUser(content=[image(relpath), ContentText(text=message.text)])
            messages.append(message)
        state.messages = messages
        return state

    return solve


def part_task(
    part: str, judge: str, data_dir: str | None, split: str | None = None, method: str = "baseline", shots: int = 4
) -> Task:
    """The inspect task of one part, after checking the data (and the judge) work."""
    checked_judge(judge)
    if method not in METHODS:
        raise VSCBenchError(f"-T method={method!r}: choose one of {', '.join(METHODS)}")
    split = split or (FULL if method == "baseline" else EVALUATION)
    if split not in SPLITS:
        raise VSCBenchError(f"-T split={split!r}: choose one of {', '.join(SPLITS)}")
    chosen = [sample(item, method, prompting.checked_shots(shots)) for item in split_items(part, split)]
    root = datadir.resolve(data_dir)
    datadir.require_prepared(root)
    reminder = [system_message(prompting.REMINDER)] if method == "reminder" else []
    return Task(
        dataset=MemoryDataset(chosen, name=f"vscbench_{part}"),
        solver=[*reminder, checked_image(str(root)), generate()],
        scorer=vscbench_scorer(judge=judge),
        config=GenerateConfig(
            temperature=generation.TEMPERATURE,
            max_tokens=generation.MAX_NEW_TOKENS,
            system_message=generation.SYSTEM_PROMPT,
        ),
        version=1,
    )


@task
def vscbench_image(
    judge: str = "keyword",
    data_dir: str | None = None,
    split: str | None = None,
    method: str = "baseline",
    shots: int = 4,
) -> Task:
    """Image-centric part: 1,800 samples, each of the 300 prompts with its 3 safe and 3 unsafe images."""
    return part_task("image", judge, data_dir, split, method, shots)


@task
def vscbench_text(
    judge: str = "keyword",
    data_dir: str | None = None,
    split: str | None = None,
    method: str = "baseline",
    shots: int = 4,
) -> Task:
    """Text-centric part: 2,250 samples, 450 XSTest-derived queries x 5 input variants (txt has no image)."""
    return part_task("text", judge, data_dir, split, method, shots)
