"""Host-neutral response records: what every consumer hands to scoring.

A record is a ``doc_key`` and the model's ``response``, nothing else. Whether the item is safe or
unsafe, its part, category and variant come from the packaged metadata by key (``dataset.items``),
never from a host's output files, which are checked here before anything is scored: an unknown key, a
key given twice, or a response that is not text is refused with the place it came from.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from vscbench_task.dataset.items import Item, item_index
from vscbench_task.errors import VSCBenchError
from vscbench_task.judges.base import EMPTY_RESPONSE_SUBSTITUTE


class RecordError(VSCBenchError):
    """Records that cannot be scored: unknown ids, duplicates, malformed fields. The message says where."""


@dataclass(frozen=True, slots=True)
class Response:
    """One model response to one benchmark item. ``response`` is ``None`` when the host has none."""

    doc_key: str
    response: str | None

    @property
    def item(self) -> Item:
        """The item answered, from the packaged metadata."""
        return item_index()[self.doc_key]

    @property
    def empty(self) -> bool:
        """Official notion of a missing response: no text at all."""
        return is_empty(self.response)


def is_empty(response: str | None) -> bool:
    """No text at all: ``None`` or ``""``."""
    return response is None or response == ""


def official_response(response: str | None) -> str:
    """The text the official judges see: the response, or the refusal substitute when it is empty."""
    return response if response else EMPTY_RESPONSE_SUBSTITUTE


def make_response(doc_key: object, response: object, *, where: str) -> Response:
    """A checked ``Response`` from untrusted values; ``where`` names their origin (``file:line``).

    The text is stripped of surrounding whitespace, for every host: lmms-eval strips each generation
    before its tasks score it (``ConfigurableTask.process_results``) and there is no undoing that, so the
    responses of any other host are stripped alike and the same generation scores the same everywhere
    (a whitespace-only answer is then empty, see ``is_empty``).
    """
    if not isinstance(doc_key, str) or doc_key not in item_index():
        raise RecordError(
            f"{where}: doc_key {doc_key!r} is not a VSCBench item (ids look like 'image/092/safe/1' or "
            "'text/128/search'); the file does not come from a vscbench task or was edited"
        )
    if response is not None and not isinstance(response, str):
        raise RecordError(f"{where}: the response of {doc_key} is a {type(response).__name__}, not text")
    try:
        (response or "").encode("utf-8")
    except UnicodeEncodeError:
        raise RecordError(f"{where}: the response of {doc_key} is not valid Unicode text (a lone surrogate)") from None
    return Response(doc_key, response.strip() if isinstance(response, str) else response)


def check_keys(keys: Sequence[str], *, source: str) -> None:
    """Refuse a set of answered items that cannot be scored together: an item answered twice (it would
    silently skew every share) or items of both parts (rows are numbered per part). ``source`` names
    where they came from."""
    unknown = sorted({key for key in keys if key not in item_index()})
    if unknown:
        shown = ", ".join(map(repr, unknown[:5])) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
        raise RecordError(f"{source}: ids that are not VSCBench items: {shown}")
    twice = sorted(key for key, count in Counter(keys).items() if count > 1)
    if twice:
        shown = ", ".join(twice[:5]) + (f" and {len(twice) - 5} more" if len(twice) > 5 else "")
        raise RecordError(f"{source}: items answered more than once, so the run cannot be scored: {shown}")
    parts = sorted({item_index()[key].part for key in keys})
    if len(parts) > 1:
        raise RecordError(f"{source}: responses of both parts ({', '.join(parts)}); score each part on its own")


def checked(responses: Iterable[Response], *, source: str) -> list[Response]:
    """The responses as a list, after ``check_keys``."""
    responses = list(responses)
    check_keys([r.doc_key for r in responses], source=source)
    return responses
