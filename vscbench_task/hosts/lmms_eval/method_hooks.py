"""lmms-eval hooks of the prompt-based calibration tasks ``*_reminder`` and ``*_fewshot``.

Docs, images, judging and metrics are the baseline's (``hooks``, ``judge_hooks``) on the evaluation split;
what differs is what reaches the model, and lmms-eval 0.7.3 delivers it differently per backend class
(checked on the tiny models and a recording OpenAI-compatible server):

* **chat backends** (lmms-eval's ``chat`` classes: ``qwen2_5_vl``, ``llava_hf``, ``openai``, ``vllm``,
  ``sglang``, ... unless ``--force_simple``) build their requests from the task's ``doc_to_messages``:
  the reminder is a **system message**, the demonstrations are prior user/assistant turns with their
  images. A system message replaces a model's default one (Qwen2-VL/2.5-VL's template inserts "You are a
  helpful assistant." only when there is none). lmms-eval drops ``--system_instruction`` on chat backends;
  these tasks keep it: it opens the system message, before the reminder.
* **simple backends** (``qwen2_vl``, ``dummy``, any backend under ``--force_simple``) send one user turn
  built from ``doc_to_text``: the reminder is a **pre-prompt** (``prompting.with_reminder``), after the
  user's ``--system_instruction`` when one is given (lmms-eval prepends that to the text; a blank line is
  put between them here, where lmms-eval would put none). Simple backends cannot take prior turns with
  images, so the few-shot tasks refuse them at task load, naming the backends that can.

Which class a backend runs as is read from the task object lmms-eval built for it
(``ConfigurableMessagesTask`` for chat backends), found by walking up the call stack: lmms-eval passes a
hook nothing else that says it, and a model plugin or ``--force_simple`` changes it without changing the
``--model`` name. The user's ``--system_instruction`` is found the same way (lmms-eval passes it to the
functions that call these hooks, never to the hooks).
"""

from __future__ import annotations

import sys
from types import FrameType
from typing import Any

from vscbench_task.calibration import prompting
from vscbench_task.dataset.items import Item, item_index
from vscbench_task.hosts.lmms_eval import hooks
from vscbench_task.hosts.lmms_eval.task_table import SHOTS_KEY

Messages = list[dict[str, Any]]
TESTED_CHAT_BACKENDS = "qwen2_5_vl, llava_hf (image-centric only), openai"


def _frames() -> list[FrameType]:
    frame: FrameType | None = sys._getframe(1)
    found = []
    while frame is not None:
        found.append(frame)
        frame = frame.f_back
    return found


def _calling_task() -> Any:
    """The lmms-eval task object whose method called the hook, or ``None`` outside a task (a test, or
    ``vscbench steer fit``'s own requests)."""
    from lmms_eval.api.task import ConfigurableTask

    for frame in _frames():
        candidate = frame.f_locals.get("self")
        if isinstance(candidate, ConfigurableTask):
            return candidate
    return None


def runs_as_chat() -> bool | None:
    """Whether the calling task serves a chat backend (``None``: not called by an lmms-eval task)."""
    from lmms_eval.api.task import ConfigurableMessagesTask

    task = _calling_task()
    return None if task is None else isinstance(task, ConfigurableMessagesTask)


def user_system_instruction() -> str | None:
    """The ``--system_instruction`` of the lmms-eval run calling the hook (``None``: none given)."""
    for frame in _frames():
        if frame.f_globals.get("__name__", "").startswith("lmms_eval.") and frame.f_code.co_name in (
            "fewshot_context",
            "evaluate",
        ):
            value = frame.f_locals.get("system_instruction")
            if value is not None:
                return str(value)
    return None


def system_text() -> str:
    """The system message of a reminder task: the user's ``--system_instruction`` (if any), then the reminder."""
    own = user_system_instruction()
    return f"{own}{prompting.PRE_PROMPT_SEPARATOR}{prompting.REMINDER}" if own else prompting.REMINDER


def _turn(role: str, images: list, text: str) -> dict[str, Any]:
    """One message as lmms-eval's protocol takes it: images first, then the text (as its own auto messages)."""
    return {
        "role": role,
        "content": [*({"type": "image", "url": image} for image in images), {"type": "text", "text": text}],
    }


def _query(doc: dict[str, Any], kwargs: dict | None) -> dict[str, Any]:
    return _turn("user", hooks.doc_to_visual(doc), hooks.doc_to_text(doc, kwargs))


# --- reminder -----------------------------------------------------------------------------------------


def reminder_doc_to_text(doc: dict[str, Any], lmms_eval_specific_kwargs: dict | None = None) -> str:
    """Simple backends: the reminder as a pre-prompt (after a blank line when the user's own
    ``--system_instruction`` precedes it). Chat backends (which take the reminder as a system message from
    ``reminder_doc_to_messages``): the prompt itself, which is what lmms-eval logs as the sample's input."""
    prompt = hooks.doc_to_text(doc, lmms_eval_specific_kwargs)
    if runs_as_chat():
        return prompt
    lead = prompting.PRE_PROMPT_SEPARATOR if user_system_instruction() else ""
    return lead + prompting.with_reminder(prompt)


def reminder_doc_to_messages(doc: dict[str, Any], lmms_eval_specific_kwargs: dict | None = None) -> Messages:
    """Chat backends: a system message (``system_text``) and the query's user turn."""
    return [_turn("system", [], system_text()), _query(doc, lmms_eval_specific_kwargs)]


# --- few-shot -----------------------------------------------------------------------------------------


def _refuse_simple_backend() -> None:
    from lmms_eval.models import get_model_manifest, list_available_models

    task = _calling_task()
    chat = sorted(m for m in list_available_models() if get_model_manifest(m).chat_class_path)
    raise SystemExit(
        f"vscbench: task {task.config.task!r} sends its demonstrations as prior chat turns with their images, which "
        f"only a chat backend can take; --model {task.model_name!r} runs here as a simple (single-turn) backend. "
        f"Use a backend with a chat class and no --force_simple (tested: {TESTED_CHAT_BACKENDS}; lmms-eval "
        f"{_lmms_version()} has chat classes for: {', '.join(chat)}), or the reminder task, which every backend takes."
    )


def _lmms_version() -> str:
    from importlib.metadata import version

    return version("lmms-eval")


def fewshot_doc_to_text(doc: dict[str, Any], lmms_eval_specific_kwargs: dict | None = None) -> str:
    """The prompt (what lmms-eval logs as the sample's input); on a simple backend the task stops at load
    (``SystemExit``, naming the backends that can run it), and a bad number of shots stops it too."""
    if runs_as_chat() is False:
        _refuse_simple_backend()
    shots(lmms_eval_specific_kwargs)
    return hooks.doc_to_text(doc, lmms_eval_specific_kwargs)


def shots(lmms_eval_specific_kwargs: dict | None) -> int:
    """The number of demonstrations the task's ``lmms_eval_specific_kwargs`` ask for (``SystemExit`` naming
    the problem when it is not an even number from 2 to ``prompting.MAX_SHOTS``)."""
    value = (lmms_eval_specific_kwargs or {}).get(SHOTS_KEY, prompting.DEFAULT_SHOTS)
    try:
        return prompting.checked_shots(value)
    except prompting.BadShots as err:
        raise SystemExit(f"vscbench: lmms_eval_specific_kwargs {SHOTS_KEY}: {err}") from None


def demonstration_turns(item: Item, count: int) -> Messages:
    """The demonstrations before ``item`` as prior turns: the demo's images and prompt, then its answer."""
    turns: Messages = []
    for demo in prompting.demonstrations(item, count):
        turns += [_turn("user", hooks.item_images(demo.item), demo.item.prompt), _turn("assistant", [], demo.answer)]
    return turns


def fewshot_doc_to_messages(doc: dict[str, Any], lmms_eval_specific_kwargs: dict | None = None) -> Messages:
    """Chat backends: the user's ``--system_instruction`` as a system message (if given), the
    demonstrations as prior turns, then the query."""
    own = user_system_instruction()
    system = [_turn("system", [], own)] if own else []
    item = item_index()[doc["doc_key"]]
    demos = demonstration_turns(item, shots(lmms_eval_specific_kwargs))
    return [*system, *demos, _query(doc, lmms_eval_specific_kwargs)]
