"""No secret the LLM judge sends reaches a file, in any encoding (issue 14, case 2): the key, a URL's
password and its token, raw, percent-encoded, JSON-escaped and as the base64 of HTTP Basic auth, through
every command that writes (rescore, report, validate-judge) and the cache, with a judge that echoes them
back in replies and in errors."""

from __future__ import annotations

import base64
import json
import urllib.parse
from pathlib import Path

import pytest

from tests.support.judge_env import judge_env
from tests.support.logged_run import samples, write_run
from tests.support.stub_server import StubProcess
from vscbench_task.cli import main as cli_main

KEY = 'sk-"vsc/bench+KEY"-7f3a9c1e'  # quotes, a slash and a plus: each encoding differs
USER, PASSWORD, TOKEN = "gate-user", "pw/s3cret+99", "tok+secret-55"


def encodings(secret: str, *, basic_user: str | None = None) -> set[str]:
    """Every form ``secret`` can take on the way out and back, computed here independently of the package."""
    forms = {
        secret,
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote_plus(secret),
        json.dumps(secret)[1:-1],
    }
    if basic_user is not None:
        forms.add(base64.b64encode(f"{basic_user}:{secret}".encode()).decode())
    return forms


def _every_command(tmp_path: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch, run: Path) -> None:
    """Rescore, report and validate the judge with ``env``."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert cli_main(["rescore", str(run), "--judge", "llm"]) == 0
    report = ["report", str(run), "--judge", "llm", "--out", str(tmp_path / "report"), "--html", "--resamples", "100"]
    assert cli_main(report) == 0
    validate = ["validate-judge", "--judge", "llm", "--gold", "msts", "--limit", "20", "--out", str(tmp_path / "v")]
    assert cli_main([*validate, "--resamples", "100"]) == 0


def _leaks(tmp_path: Path, forms: set[str], printed: str) -> list[str]:
    forms = forms | {json.dumps(form)[1:-1] for form in forms}  # each as it reads inside a JSON file
    found = [f"printed: {form!r}" for form in forms if form in printed]
    for path in tmp_path.rglob("*"):
        if path.is_file() and not path.name.startswith("calls"):  # the stub's own request log
            data = path.read_bytes()
            found += [f"{path.name}: {form!r}" for form in forms if form.encode() in data]
    return found


@pytest.mark.parametrize("how", ["key", "url"])
def test_no_secret_in_any_encoding_reaches_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], how: str
) -> None:
    texts = ["I cannot.", "Sure. #fault=echokey", "Sure. #fault=echoauth", "Sure. #fault=echo500", "Sure."] * 2
    write_run(tmp_path / "run", {"vscbench_image": samples("vscbench_image", texts)})
    with StubProcess(tmp_path / "calls.jsonl", api_key=KEY if how == "key" else None) as stub:
        env = judge_env(stub, tmp_path / "cache" / "c.sqlite3", VSCBENCH_JUDGE_MAX_FAILED_SHARE="0.5")
        if how == "key":
            env["OPENAI_API_KEY"] = KEY
            forms = encodings(KEY)
        else:  # a gateway wanting user:password (sent as HTTP Basic auth) and a token in the query
            quoted = urllib.parse.quote(PASSWORD, safe="")
            netloc = f"{USER}:{quoted}@127.0.0.1:{stub.port}"
            env["OPENAI_API_URL"] = f"http://{netloc}/v1?token={urllib.parse.quote(TOKEN, safe='')}"
            forms = encodings(PASSWORD, basic_user=USER) | encodings(TOKEN)
        _every_command(tmp_path, env, monkeypatch, tmp_path / "run")
        assert {call["auth"] for call in stub.calls()} == {"Bearer" if how == "key" else "Basic"}
    printed = capsys.readouterr()
    judgements = next((tmp_path / "run").glob("*_rescore_llm_judgements.jsonl")).read_text()
    assert "***" in judgements  # the echoes were there, and blanked
    assert not _leaks(tmp_path, forms, printed.out + printed.err)
