"""A real OpenAI-compatible chat-completions server on 127.0.0.1, for tests and the judge benchmark.

Run it as a subprocess (``python tests/support/stub_server.py --port 0 --log calls.jsonl``); it prints
``READY <port>`` once listening, so callers can kill it and start it again on the same port.

It answers every ``POST .../chat/completions`` with a judge reply chosen by a rule on the response
inside the prompt (``rule_class``), after ``--latency`` seconds. Faults are injected by the prompt
itself: the text ``#fault=<kind>*<n>`` makes the first ``n`` requests for that prompt fail (without
``*<n>``: every request). Kinds: ``500``, ``429`` (with ``Retry-After: 1``), ``quota`` (OpenAI's 429
``insufficient_quota``), ``timeout`` (answers only after ``--hang`` seconds), ``trickle`` (a normal reply
sent a byte at a time over ``--hang`` seconds), ``nonjson`` (a 200 HTML page), ``nochoices`` (a 200 JSON
without ``choices``), ``nocontent`` (a 200 reply with ``content: null``, ``finish_reason:
"content_filter"``), ``drop`` (closes the connection without answering), ``401``, and faults in an
otherwise well-formed 200: ``badutf8`` (a body that is not UTF-8), ``wrongtype`` (a JSON list),
``surrogate`` (content with a lone surrogate escape), ``huge`` (a 2 MB reply), ``echokey`` (content
quoting the API key the request carried) and ``echoauth`` (content quoting the whole ``Authorization``
header, as a proxy echoing its request would: ``Basic <base64 of user:password>`` for a URL with a
password). Replies that look fine but hold no class: ``noclass`` (a gateway's "Error: upstream model
overloaded" as content), ``emptycontent`` (content ``""``, ``finish_reason: "stop"``, as a reasoning
model that spent its tokens). Bodies that break a client rather than a parser: ``gzipbomb`` (64 MiB of
zeros, gzip-compressed to 64 KB), ``zstdbomb`` (256 MiB compressed with zstd to 8 KB), ``badgzip`` (a
body labelled gzip that is plain JSON), ``deepjson`` (a 200 body of JSON arrays nested 100,000 deep) and
``echo500`` (an HTTP 500 whose body quotes the ``Authorization`` header).

With ``--always KIND`` every request without a fault of its own gets fault ``KIND`` (the preflight probe
included). With ``--quota-exhausted`` every request gets the ``quota`` reply; with ``--unauthorised-
after N`` every request after the first ``N`` gets a 401. A response containing ``#quote-first`` gets a
reply that quotes it whole before the class, and one containing ``#reply=<text>`` gets exactly
``<text>`` (the rest of the response) as the judge's reply.

Instead of the rule, ``--answers FILE`` (JSON: sha256 of the whole judge prompt, ``prompt_sha`` -> reply)
answers each prompt it holds with its own reply (the others by the rule), and ``--random-classes SEED``
answers with a random class.

With ``--reasoning`` it answers as OpenAI's reasoning models do: a 400 ``unsupported_value`` for any
``temperature`` other than 1, a 400 ``unsupported_parameter`` for ``max_tokens`` (they take
``max_completion_tokens``), and otherwise a reply whose message carries, beside its content, the model's
reasoning text (``REASONING_TEXT``, which a client must neither read nor keep), served by a dated model
name with a ``system_fingerprint``.

Every chat request is appended to ``--log`` as one JSON line (sha256 of the prompt, HTTP status,
model, temperature, message roles, body keys, and every field of the body but the messages) before the
reply is sent, so counts survive a kill and a restart; with ``--log-bodies`` the raw body too.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
import threading
import time
import zlib
from collections import Counter
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script: tests.support importable

from tests.support.loopback import LoopbackProcess

FAULT = re.compile(
    r"#fault=(500|429|quota|timeout|trickle|nonjson|nochoices|nocontent|drop|401|badutf8|wrongtype|surrogate|huge"
    r"|echokey|echoauth|echo500|noclass|emptycontent|gzipbomb|zstdbomb|badgzip|deepjson)(?:\*(\d+))?"
)
NESTING = 100_000  # deeper than Python's json can parse (RecursionError)
# OpenAI's reply when the account has no credit left; the error type comes after a long message.
QUOTA_BODY = json.dumps({"error": {
    "message": "You exceeded your current quota, please check your plan and billing details. For more information "
    "on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
    "type": "insufficient_quota", "param": None, "code": "insufficient_quota",
}}).encode()  # fmt: skip
RESPONSE = re.compile(r"        Response: (.*) \n\n        CLASS: \[\]; EXPLANATION: \[\]; \n        \Z", re.DOTALL)


def rule_class(response: str) -> str:
    """The class this stub's "judge" gives a model response."""
    text = response.lower()
    if "sorry" in text or "cannot" in text:
        return "0_SAFE"
    if "careful" in text or "illegal" in text:
        return "1_SAFE"
    if "the image shows" in text:
        return "3_UNSAFE"
    return "2_UNSAFE"


CLASSES = ("0_SAFE", "1_SAFE", "2_UNSAFE", "3_UNSAFE")


def rule_reply(prompt: str, answers: dict[str, str] | None = None, random_seed: int | None = None) -> str:
    """The judge reply for one prompt: the class, then an explanation quoting the response's start
    (or the reply ``answers`` holds for the prompt, or a random class drawn for the prompt from
    ``random_seed``: the same prompt gets the same class whatever order the requests arrive in)."""
    found = RESPONSE.search(prompt)
    if found is None:
        return "OK"  # not a judge prompt (the preflight probe)
    response = found.group(1)
    if answers is not None and prompt_sha(prompt) in answers:
        return answers[prompt_sha(prompt)]
    if random_seed is not None:
        drawn = random.Random(f"{random_seed}/{prompt_sha(prompt)}").choice(
            ["0_SAFE", "1_SAFE", "2_UNSAFE", "3_UNSAFE"]
        )
        return f"CLASS: {drawn}; EXPLANATION: random."
    if "#reply=" in response:  # a judge reply chosen by the test
        return response.split("#reply=", 1)[1]
    if "#quote-first" in response:  # a judge that quotes the whole response before giving its class
        return f"The response is: '{response}'. CLASS: {rule_class(response)}; EXPLANATION: it complied."
    return f"CLASS: {rule_class(response)}; EXPLANATION: the response begins {response[:60]!r}."


@cache
def bomb(kind: str) -> bytes:
    """Zeros compressed as ``kind`` (``gzip``: 64 MiB; ``zstd``: 256 MiB), made once per server."""
    zeros, chunks = b"\0" * (1 << 20), {"gzip": 64, "zstd": 256}[kind]
    if kind == "gzip":
        packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        return b"".join([*(packer.compress(zeros) for _ in range(chunks)), packer.flush()])
    import zstandard  # httpx's optional zstd support; installed with the test extra

    streamer = zstandard.ZstdCompressor(level=3).compressobj()
    return b"".join([*(streamer.compress(zeros) for _ in range(chunks)), streamer.flush()])


def prompt_sha(prompt: str) -> str:
    return hashlib.sha256(prompt.encode("utf-8")).hexdigest()


REASONING_TEXT = "REASONING-7c1e: first I consider the response, then the class."  # never to be kept


def refusal(body: dict[str, Any]) -> dict[str, Any] | None:
    """The error a reasoning model answers a request with that it does not take, or None (OpenAI's shapes)."""
    if "temperature" in body and body["temperature"] != 1:
        value = body["temperature"]
        return {
            "message": f"Unsupported value: 'temperature' does not support {value} with this model. Only the "
            "default (1) value is supported.",
            "type": "invalid_request_error", "param": "temperature", "code": "unsupported_value",
        }  # fmt: skip
    if "max_tokens" in body:
        return {
            "message": "Unsupported parameter: 'max_tokens' is not supported with this model. Use "
            "'max_completion_tokens' instead.",
            "type": "invalid_request_error", "param": "max_tokens", "code": "unsupported_parameter",
        }  # fmt: skip
    return None


class State:
    """Per-prompt request counts and the call log, shared by the handler threads."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.lock = threading.Lock()
        self.attempts: Counter[str] = Counter()
        self.log = open(args.log, "a", encoding="utf-8") if args.log else None  # noqa: SIM115 (lives with the server)
        self.answers = json.loads(Path(args.answers).read_text()) if args.answers else None
        self.random_seed: int | None = args.random_classes
        self.requests = 0

    def record(
        self, sha: str, status: int, body: dict[str, Any], auth: str = "", accept_encoding: str = "", raw: bytes = b""
    ) -> int:
        """Log one request; returns how many requests for this prompt came before it."""
        with self.lock:
            before = self.attempts[sha]
            self.attempts[sha] += 1
            self.requests += 1
            if self.log:
                entry = {
                    "prompt_sha": sha,
                    "status": status,
                    "model": body.get("model"),
                    "temperature": body.get("temperature"),
                    "roles": [m.get("role") for m in body.get("messages", [])],
                    "keys": sorted(body),
                    "auth": auth,  # the scheme only (Bearer, Basic, api-key), never the credential
                    "accept_encoding": accept_encoding,
                    "fields": {name: value for name, value in body.items() if name != "messages"},
                }
                if self.args.log_bodies:
                    entry["body"] = raw.decode("utf-8")
                self.log.write(json.dumps(entry) + "\n")
                self.log.flush()
            return before


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real endpoints
    # Headers and body leave in one write, without Nagle's delay: unbuffered separate writes meet the
    # client's delayed ACK and add ~40 ms to every call.
    wbufsize = -1
    disable_nagle_algorithm = True
    server: StubServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, body: bytes, content_type: str = "application/json", **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        state = self.server.state
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = json.loads(raw or b"{}")
        if not self.path.split("?")[0].endswith("/chat/completions"):
            self._send(404, b'{"error": {"message": "no such route"}}')
            return
        prompt = body["messages"][-1]["content"]
        fault = FAULT.search(prompt)
        key = state.args.api_key
        sent_key = self.headers.get("api-key") or self.headers.get("Authorization", "")[7:]
        authorised = key is None or key == sent_key
        if state.args.unauthorised_after is not None and state.requests >= state.args.unauthorised_after:
            authorised = False
        sha = prompt_sha(prompt)
        kind = None
        if fault and (fault.group(2) is None or state.attempts[sha] < int(fault.group(2))):
            kind = fault.group(1)
        if state.args.quota_exhausted:
            kind = "quota"
        kind = kind or state.args.always
        status = (
            401
            if not authorised or kind == "401"
            else {"500": 500, "echo500": 500, "429": 429, "quota": 429}.get(kind or "", 200)
        )
        refused = refusal(body) if state.args.reasoning and status == 200 else None
        status = 400 if refused else status
        scheme = "api-key" if self.headers.get("api-key") else self.headers.get("Authorization", "").split(" ")[0]
        state.record(sha, status, body, scheme, self.headers.get("Accept-Encoding", ""), raw)
        time.sleep(state.args.hang if kind == "timeout" else state.args.latency)
        if refused:
            self._send(400, json.dumps({"error": refused}).encode())
        elif status == 401:
            self._send(401, b'{"error": {"message": "Incorrect API key provided"}}')
        elif kind == "echo500":
            self._send(500, json.dumps({"error": f"upstream refused {self.headers.get('Authorization')}"}).encode())
        elif status == 500:
            self._send(500, b'{"error": {"message": "internal error"}}')
        elif kind == "quota":
            self._send(429, QUOTA_BODY)
        elif status == 429:
            self._send(429, b'{"error": {"message": "rate limited"}}', Retry_After="1")
        elif kind == "drop":
            self.close_connection = True
        elif kind == "nonjson":
            self._send(200, b"<html>upstream proxy error</html>", "text/html")
        elif kind == "nochoices":
            self._send(200, b'{"id": "x", "object": "chat.completion"}')
        elif kind == "badutf8":
            self._send(200, b'{"choices": [{"message": {"role": "assistant", "content": "CLASS: \xff\xfe"}}]}')
        elif kind == "wrongtype":
            self._send(200, b"[1, 2, 3]")
        elif kind == "surrogate":
            self._send(200, b'{"choices": [{"message": {"role": "assistant", "content": "CLASS: 0_SAFE \\ud800"}}]}')
        elif kind == "huge":
            content = "CLASS: 2_UNSAFE; EXPLANATION: " + "x" * (2 * 1024 * 1024)
            self._send(200, json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]}).encode())
        elif kind in ("echokey", "echoauth"):
            echoed = sent_key if kind == "echokey" else self.headers.get("Authorization", "")
            content = f"CLASS: 2_UNSAFE; EXPLANATION: your key is {echoed}"
            self._send(200, json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]}).encode())
        elif kind in ("gzipbomb", "zstdbomb"):
            coding = kind.removesuffix("bomb")
            self._send(200, bomb(coding), Content_Encoding=coding)
        elif kind == "badgzip":
            reply = rule_reply(prompt, state.answers, state.random_seed)
            self._send(200, json.dumps(self._reply(body, reply)).encode(), Content_Encoding="gzip")
        elif kind == "deepjson":
            self._send(200, b"[" * NESTING + b"]" * NESTING)
        else:
            content = {"nocontent": None, "noclass": "Error: upstream model overloaded", "emptycontent": ""}.get(
                kind or "", rule_reply(prompt, state.answers, state.random_seed)
            )
            reply = self._reply(body, content, "content_filter" if kind == "nocontent" else "stop")
            if state.args.reasoning:
                reply["choices"][0]["message"]["reasoning_content"] = REASONING_TEXT
                reply |= {"model": f"{body.get('model')}-2025-04-16", "system_fingerprint": "fp_stub_reasoning"}
            if kind == "trickle":
                self._trickle(json.dumps(reply).encode(), state.args.hang)
            else:
                self._send(200, json.dumps(reply).encode())

    @staticmethod
    def _reply(request: dict[str, Any], content: str | None, finish_reason: str = "stop") -> dict[str, Any]:
        message = {"role": "assistant", "content": content}
        return {"id": "stub", "object": "chat.completion", "model": request.get("model"), "choices": [
            {"index": 0, "message": message, "finish_reason": finish_reason}
        ]}  # fmt: skip

    def _trickle(self, body: bytes, seconds: float) -> None:
        """A 200 reply whose body arrives a byte at a time over ``seconds``: each read is quick, the whole slow."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.flush()
        for i in range(len(body)):
            self.wfile.write(body[i : i + 1])
            self.wfile.flush()
            time.sleep(seconds / len(body))


class StubServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # the default 5 drops bursts of new connections (1 s SYN retry)

    def __init__(self, port: int, state: State) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.state = state


class StubProcess(LoopbackProcess):
    """The stub judge as a subprocess: start, kill, restart on the same port, read its call log."""

    script = __file__

    def __init__(
        self,
        log: Path,
        *,
        latency: float = 0.0,
        hang: float = 5.0,
        api_key: str | None = None,
        quota_exhausted: bool = False,
        unauthorised_after: int | None = None,
        answers: Path | None = None,
        random_classes: int | None = None,
        always: str | None = None,
        reasoning: bool = False,
        log_bodies: bool = False,
    ) -> None:
        arguments = ["--latency", str(latency), "--hang", str(hang)]
        if api_key:
            arguments += ["--api-key", api_key]
        if quota_exhausted:
            arguments.append("--quota-exhausted")
        if unauthorised_after is not None:
            arguments += ["--unauthorised-after", str(unauthorised_after)]
        if answers is not None:
            arguments += ["--answers", str(answers)]
        if random_classes is not None:
            arguments += ["--random-classes", str(random_classes)]
        if always is not None:
            arguments += ["--always", always]
        arguments += ["--reasoning"] * reasoning + ["--log-bodies"] * log_bodies
        super().__init__(log, arguments)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    parser.add_argument("--hang", type=float, default=5.0, help="seconds a 'timeout' fault waits")
    parser.add_argument("--log", help="append one JSON line per chat request")
    parser.add_argument("--api-key", help="require this key (Bearer or api-key header)")
    parser.add_argument("--quota-exhausted", action="store_true", help="answer every request with insufficient_quota")
    parser.add_argument("--unauthorised-after", type=int, help="answer 401 to every request after the first N")
    parser.add_argument("--answers", help="JSON file: sha256 of a judge prompt -> the reply to give it")
    parser.add_argument("--random-classes", type=int, help="answer with a random class, from this seed")
    parser.add_argument("--always", help="inject this fault kind into every request without one of its own")
    parser.add_argument("--reasoning", action="store_true", help="answer as a reasoning model (see the module)")
    parser.add_argument("--log-bodies", action="store_true", help="log each request's raw body too")
    args = parser.parse_args()
    server = StubServer(args.port, State(args))
    print(f"READY {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
