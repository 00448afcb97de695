"""A real OpenAI-compatible model server on 127.0.0.1 answering as the replay model (``replay.reply``).

Run it as a subprocess (``python tests/support/replay_server.py --port 0 --log requests.jsonl``); it
prints ``READY <port>`` once listening. Hosts reach it the way they reach ``vllm serve``: lmms-eval's
``openai`` backend, inspect_ai's ``openai-api`` provider.

A request must be one user message (no system prompt) whose content is text, or text and at most one
image as a data URL; anything else gets an HTTP 400 naming the problem, so a host that sends something
else fails loudly. With ``--conversations`` (the calibration methods' tests) system messages and prior
user/assistant turns are taken too, the reply follows the last user message, and every message is logged.
Each request is logged as one JSON line: the generation settings it carried (``max_tokens`` /
``max_completion_tokens``, ``temperature``), the number of images, the sha256 of the text and of the
image's pixels, and the reply.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script: tests.support importable

from tests.support.loopback import LoopbackProcess
from tests.support.replay import pixels_sha_of_bytes, reply


class BadRequest(ValueError):
    """A request the replay model does not take."""


def _request_input(body: dict[str, Any], conversations: bool = False) -> tuple[str, list[bytes], list[dict]]:
    """The prompt text and image bytes of a chat request (its last user message), and every message as
    logged (role, text, images' pixel sha256). Without ``conversations`` a request must be one user
    message; with it, system messages and prior turns are taken too (the calibration methods' tasks)."""
    messages = body.get("messages")
    single = isinstance(messages, list) and len(messages) == 1 and messages[0].get("role") == "user"
    if not single and not (conversations and isinstance(messages, list) and messages):
        roles = [m.get("role") for m in messages] if isinstance(messages, list) else messages
        raise BadRequest(f"expected one user message and no system prompt, got roles {roles}")
    logged = []
    for message in messages:
        if message.get("role") not in ("system", "user", "assistant"):
            raise BadRequest(f"a message of role {message.get('role')!r}")
        text, images = _content(message.get("content"))
        logged.append({"role": message["role"], "text": text, "images": [pixels_sha_of_bytes(i) for i in images]})
    if messages[-1].get("role") != "user":
        raise BadRequest("the last message is not the user's")
    text, images = _content(messages[-1].get("content"))
    return text, images, logged


def _content(content: Any) -> tuple[str, list[bytes]]:
    if isinstance(content, str):
        return content, []
    texts, images = [], []
    for part in content:
        if part.get("type") == "text":
            texts.append(part["text"])
        elif part.get("type") == "image_url":
            url = part["image_url"]["url"] if isinstance(part["image_url"], dict) else part["image_url"]
            if not url.startswith("data:") or ";base64," not in url:
                raise BadRequest(f"images must come as base64 data URLs, got {url[:40]!r}")
            images.append(base64.b64decode(url.split(";base64,", 1)[1]))
        else:
            raise BadRequest(f"content part of type {part.get('type')!r}")
    if len(images) > 1:
        raise BadRequest(f"{len(images)} images in one message; VSCBench sends at most one")
    return "".join(texts), images


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    wbufsize = -1
    disable_nagle_algorithm = True
    server: ReplayServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self._send(200, {"object": "list", "data": [{"id": "replay", "object": "model"}]})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        if not self.path.split("?")[0].endswith("/chat/completions"):
            self._send(404, {"error": {"message": "no such route"}})
            return
        try:
            text, images, messages = _request_input(body, self.server.conversations)
        except (BadRequest, KeyError, TypeError, AttributeError) as err:
            self._send(400, {"error": {"message": f"replay model: {err}", "type": "invalid_request_error"}})
            return
        image_sha = pixels_sha_of_bytes(images[0]) if images else None
        answer = reply(text, image_sha)
        self.server.record(
            {
                "max_tokens": body.get("max_tokens", body.get("max_completion_tokens")),
                "temperature": body.get("temperature"),
                "images": len(images),
                "text_sha": hashlib.sha256(text.encode()).hexdigest(),
                "image_sha": image_sha,
                "reply": answer,
            }
            | ({"messages": messages} if self.server.conversations else {})
        )
        message = {"role": "assistant", "content": answer}
        self._send(200, {
            "id": "replay", "object": "chat.completion", "created": 0, "model": body.get("model"),
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        })  # fmt: skip


class ReplayServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, port: int, log: str | None, conversations: bool = False) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.conversations = conversations
        self.lock = threading.Lock()
        self.log = open(log, "a", encoding="utf-8") if log else None  # noqa: SIM115 (lives with the server)

    def record(self, entry: dict[str, Any]) -> None:
        if self.log:
            with self.lock:
                self.log.write(json.dumps(entry) + "\n")
                self.log.flush()


class ReplayProcess(LoopbackProcess):
    """The replay model server as a subprocess."""

    script = __file__


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--log", help="append one JSON line per chat request")
    parser.add_argument(
        "--conversations", action="store_true", help="take system messages and prior turns, and log every message"
    )
    args = parser.parse_args()
    server = ReplayServer(args.port, args.log, args.conversations)
    print(f"READY {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
