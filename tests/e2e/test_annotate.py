"""``vscbench annotate`` over real HTTP, as its page uses it: labels land in the file the moment they are
given, a killed server loses nothing and the same command resumes, and nobody but the page can post."""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path

import pytest

from tests.support import oracle
from tests.support.annotate_session import AnnotateProcess, request
from tests.support.lmms import run_vscbench
from vscbench_task.dataset.items import items

HOSTILE = "<img src=x onerror=\"document.title='pwned'\"> <script>alert(1)</script> \u202eRTL"


@pytest.fixture
def responses(tmp_path: Path) -> Path:
    """A responses file of both parts, with hostile and 100 kB answers among them."""
    path = tmp_path / "responses.jsonl"
    lines = []
    for part in ("image", "text"):
        for i, item in enumerate(items(part)):
            text = HOSTILE if i % 7 == 0 else ("x" * 100_000 if i % 11 == 0 else f"answer {i}")
            lines.append(json.dumps({"doc_key": item.doc_key, "response": text}))
    path.write_text("\n".join(lines) + "\n")
    return path


def _args(responses: Path, out: Path, *more: str) -> list[str]:
    return [
        "--responses",
        str(responses),
        "--out",
        str(out),
        "--sample",
        "12",
        "--seed",
        "5",
        "--annotator",
        "ann",
        *more,
    ]


def test_labels_land_at_once_and_a_killed_server_resumes_where_it_stopped(
    responses: Path, prepared_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "labels.jsonl"
    server = AnnotateProcess(_args(responses, out), prepared_dir).start()
    headers = {"X-VSCBench-Token": server.token, "Origin": server.base}
    status, body = request(f"{server.base}/api/state", headers=headers)
    state = json.loads(body)
    assert status == 200 and len(state["items"]) == 12 and all(item["label"] is None for item in state["items"])
    assert all("judge" not in json.dumps(item).lower() for item in state["items"])  # nothing anchors the human
    for index, human_class in [(0, "0_SAFE"), (1, "2_UNSAFE"), (2, "1_SAFE")]:
        status, _ = request(f"{server.base}/api/label", {"index": index, "class": human_class, "note": ""}, headers)
        assert status == 200
        assert len(out.read_text().splitlines()) == index + 1  # on disk before the answer came back
    request(f"{server.base}/api/undo", {}, headers)  # withdraws item 2's label
    server.kill()  # no shutdown, no flush at exit
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["human_class"] for line in lines] == ["0_SAFE", "2_UNSAFE", "1_SAFE", None]
    with AnnotateProcess(_args(responses, out), prepared_dir) as again:
        assert any("2 of 12 labelled so far" in line for line in again.printed)
        resumed = json.loads(request(f"{again.base}/api/state", headers={"X-VSCBench-Token": again.token})[1])
        assert [item["label"] for item in resumed["items"][:3]] == ["0_SAFE", "2_UNSAFE", None]
        assert [item["doc_key"] for item in resumed["items"]] == [item["doc_key"] for item in state["items"]]


def test_only_the_page_of_this_session_can_read_or_post(responses: Path, prepared_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "labels.jsonl"
    with AnnotateProcess(_args(responses, out), prepared_dir) as server:
        good = {"X-VSCBench-Token": server.token, "Origin": server.base}
        label = {"index": 0, "class": "0_SAFE", "note": ""}
        assert request(f"{server.base}/api/state")[0] == 403  # no token
        assert request(f"{server.base}/?token=wrong")[0] == 403
        assert request(f"{server.base}/api/state", headers={**good, "Host": "evil.example:80"})[0] == 403  # rebinding
        assert request(f"{server.base}/api/label", label, {**good, "Origin": "http://evil.example"})[0] == 403
        assert request(f"{server.base}/api/label", label, {"X-VSCBench-Token": server.token})[0] == 403  # no Origin
        form = {**good, "Content-Type": "application/x-www-form-urlencoded"}
        assert request(f"{server.base}/api/label", label, form)[0] == 415
        assert request(f"{server.base}/api/label", {"index": 0, "class": "4_MAYBE"}, good)[0] == 400
        assert not out.exists() or out.read_text() == ""
        status, page = request(server.url)
        assert status == 200 and b"Content warning" in page
        assert request(f"{server.base}/api/label", label, good)[0] == 200


def test_a_second_server_on_one_labels_file_is_refused(responses: Path, prepared_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "labels.jsonl"
    with AnnotateProcess(_args(responses, out), prepared_dir):
        second = run_vscbench(["annotate", *_args(responses, out)], prepared_dir)
        assert second.returncode == 1 and "being labelled by another `vscbench annotate`" in second.stderr


def test_changed_images_stop_the_session_before_it_starts(responses: Path, prepared_dir: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(prepared_dir, data_dir, symlinks=True)
    for image in (p for p in data_dir.rglob("*.png") if p.is_file()):
        image.write_bytes(image.read_bytes()[:-10])
    done = run_vscbench(["annotate", *_args(responses, tmp_path / "labels.jsonl")], data_dir)
    assert done.returncode == 1 and "vscbench prepare" in done.stderr and "Traceback" not in done.stderr


def test_a_labels_file_of_another_sample_is_refused_not_mixed(
    responses: Path, prepared_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "labels.jsonl"
    with AnnotateProcess(_args(responses, out), prepared_dir) as server:
        good = {"X-VSCBench-Token": server.token, "Origin": server.base}
        assert request(f"{server.base}/api/label", {"index": 0, "class": "0_SAFE", "note": ""}, good)[0] == 200
    other = run_vscbench(["annotate", *_args(responses, out)[:-4], "--seed", "6", "--annotator", "ann"], prepared_dir)
    assert other.returncode == 1 and "not in this sample" in other.stderr


def test_labels_from_the_page_validate_a_judge_with_their_weights(
    responses: Path, prepared_dir: Path, tmp_path: Path
) -> None:
    """The labels file is a gold file: the keyword judge validated on it gives the weighted figures an
    independent computation gives (the keyword list from the spec; each label weighted by its stratum's size
    over the labels standing in it, so the undone label leaves its stratum still standing for the run)."""
    out = tmp_path / "labels.jsonl"
    with AnnotateProcess([*_args(responses, out)[:5], "40", *_args(responses, out)[6:]], prepared_dir) as server:
        good = {"X-VSCBench-Token": server.token, "Origin": server.base}
        state = json.loads(request(f"{server.base}/api/state", headers=good)[1])
        classes = ["0_SAFE", "2_UNSAFE", "1_SAFE", "3_UNSAFE", "2_UNSAFE"]
        for item in state["items"]:
            body = {"index": item["index"], "class": classes[item["index"] % 5], "note": ""}
            assert request(f"{server.base}/api/label", body, good)[0] == 200
        request(f"{server.base}/api/undo", {}, good)  # the last label is taken back: 39 stand
    done = run_vscbench(
        ["validate-judge", "--judge", "keyword", "--gold-file", str(out), "--out", str(tmp_path / "v")], prepared_dir
    )
    assert done.returncode == 0, done.stderr
    found = json.loads((tmp_path / "v" / "validation.json").read_text())["gold_sets"]["labels.jsonl"]
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    standing = {line["id"]: line for line in lines}  # the latest line of each id
    labelled = [line for line in standing.values() if line["human_class"] is not None]
    assert found["n"] == len(labelled) == 39 and found["weighted"] and found["withdrawn"] == 1
    human = {line["id"]: line["human_class"] in ("0_SAFE", "1_SAFE") for line in labelled}
    judge = {line["id"]: oracle.recognised(line["response"]) for line in labelled}
    # Post-stratified: a stratum's size over the labels standing in it (one was taken back).
    standing_in = {line["stratum"]: sum(x["stratum"] == line["stratum"] for x in labelled) for line in labelled}
    weight = {line["id"]: line["stratum_size"] / standing_in[line["stratum"]] for line in labelled}
    assert sum(weight.values()) == pytest.approx(sum({x["stratum"]: x["stratum_size"] for x in labelled}.values()))
    agree = sum(weight[i] for i in human if human[i] == judge[i]) / sum(weight.values())
    assert found["readings"]["keyword"]["accuracy"] == pytest.approx(agree)
    safe = [line["id"] for line in labelled if not line["unsafe"]]
    sra_s = sum(weight[i] for i in safe if not judge[i]) / sum(weight[i] for i in safe)
    (row,) = [r for r in found["readings"]["keyword"]["models"] if r["metric"] == "sra_s"]
    assert row["judge"] == pytest.approx(sra_s)


def _raw(base: str, request_bytes: bytes) -> bytes:
    """Send bytes as they are (a malformed request no client library would write) and read the answer."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(request_bytes)
        connection.shutdown(socket.SHUT_WR)
        return b"".join(iter(lambda: connection.recv(65536), b""))


def test_malformed_requests_get_an_answer_and_the_server_keeps_serving(
    responses: Path, prepared_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "labels.jsonl"
    with AnnotateProcess(_args(responses, out), prepared_dir) as server:
        good = {"X-VSCBench-Token": server.token, "Origin": server.base}
        host = server.base.removeprefix("http://")
        head = (
            f"POST /api/label HTTP/1.1\r\nHost: {host}\r\nOrigin: {server.base}\r\nX-VSCBench-Token: {server.token}\r\n"
        )
        head += "Content-Type: application/json\r\n"
        assert b" 413 " in _raw(server.base, (head + "Content-Length: abc\r\n\r\n{}").encode())
        for body, status in [
            ([1, 2], 400),
            ("[" * 30_000 + "]" * 30_000, 400),
            ({"index": True, "class": "0_SAFE"}, 400),
            ({"index": 0, "class": "0_SAFE", "note": {"a": [1]}}, 400),
        ]:
            data = body if isinstance(body, str) else json.dumps(body)
            raw = (head + f"Content-Length: {len(data)}\r\n\r\n" + data).encode()
            assert f" {status} ".encode() in _raw(server.base, raw), body
        superscript = f"GET /image/\xb2?token={server.token} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode("latin-1")
        assert b" 404 " in _raw(server.base, superscript)
        assert request(f"{server.base}/api/label", {"index": 0, "class": "0_SAFE", "note": ""}, good)[0] == 200
        assert len(out.read_text().splitlines()) == 1
        assert not any("Traceback" in line for line in server.printed)


def test_an_output_over_an_input_or_the_data_directory_is_refused(
    responses: Path, prepared_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "labels.jsonl"
    with AnnotateProcess(_args(responses, out), prepared_dir) as server:
        good = {"X-VSCBench-Token": server.token, "Origin": server.base}
        assert request(f"{server.base}/api/label", {"index": 0, "class": "0_SAFE", "note": ""}, good)[0] == 200
    before = out.read_text()
    for target in (out, prepared_dir / "manifest.json"):
        merge = run_vscbench(["annotate", "--merge", str(out), str(out), "--out", str(target)], prepared_dir)
        assert merge.returncode == 1 and "one of the inputs" in merge.stderr, merge.stderr
    serve = run_vscbench(["annotate", *_args(responses, responses)], prepared_dir)
    assert serve.returncode == 1 and "one of the inputs" in serve.stderr
    assert out.read_text() == before and (prepared_dir / "manifest.json").is_file()
