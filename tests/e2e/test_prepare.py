"""``vscbench prepare`` / ``vscbench verify`` on real stand-in archives: good sources, broken and hostile
ones (nothing may be written, a previous state must survive byte for byte), tampering, and a SIGKILL."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import stat
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path

import filelock
import pytest

from tests.support.lmms import VSCBENCH as CLI
from vscbench_task.dataset import datadir
from vscbench_task.dataset import metadata as md
from vscbench_task.dataset.archive import MAX_ENTRY_BYTES
from vscbench_task.dataset.prepare import LOCK_FILE, STAGING_PREFIX, PrepareError, prepare, verify
from vscbench_task.demo import standin_archive

# Every test prepares the whole 3,598-image stand-in: ~110 s in all.

ROOT = standin_archive.ARCHIVE_ROOT
IMAGE_FILE = next(f for f in md.referenced_files() if f.startswith(md.IMAGE_DIR))
TEXT_FILE = next(f for f in md.referenced_files() if f.startswith(md.TEXT_DIR) and f.endswith(".png"))

# An edit maps one zip entry (name, bytes) to the entries that replace it.
Edit = Callable[[str, bytes], Iterable[tuple["str | zipfile.ZipInfo", bytes]]]


@pytest.fixture(scope="module")
def standin_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return standin_archive.build(tmp_path_factory.mktemp("standin") / "vscbench.zip", size=16)


@pytest.fixture(scope="module")
def standin_tree(standin_zip: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The stand-in zip extracted: the folder a user gets by unzipping the archive."""
    folder = tmp_path_factory.mktemp("extracted")
    with zipfile.ZipFile(standin_zip) as archive:
        archive.extractall(folder)
    return folder


@pytest.fixture(scope="module")
def good_state(standin_zip: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory prepared once from the stand-in; tests copy it before changing anything."""
    data_dir = tmp_path_factory.mktemp("good") / "data"
    prepare(standin_zip, data_dir)
    return data_dir


def tree_bytes(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` with its content: equal values mean a byte-identical tree."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def written(data_dir: Path) -> set[str]:
    """What a prepare left in ``data_dir`` besides its (empty, OS-held) lock file."""
    return {p.name for p in data_dir.iterdir()} - {LOCK_FILE} if data_dir.exists() else set()


def edited_zip(source: Path, dest: Path, edit: Edit, extra: Iterable[tuple[str | zipfile.ZipInfo, bytes]] = ()) -> Path:
    """A copy of the stand-in zip with each entry passed through ``edit`` and ``extra`` entries appended."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(dest, "w") as new:
        for info in old.infolist():
            for name, data in edit(info.filename, old.read(info)):
                new.writestr(name, data)
        for name, data in extra:
            new.writestr(name, data)
    return dest


def png_claiming(width: int, height: int) -> bytes:
    """A tiny, valid-looking PNG whose header claims ``width`` x ``height`` 1-bit pixels (a decompression bomb)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    )


def symlink_entry(name: str) -> zipfile.ZipInfo:
    """A zip entry that unzip would restore as a symbolic link (its content is the link target)."""
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def keep(name: str, data: bytes) -> list[tuple[str, bytes]]:
    return [(name, data)]


def unless(*dropped: str) -> Edit:
    return lambda name, data: [] if name in dropped else [(name, data)]


def replacing(target: str, make: Callable[[bytes], tuple[str | zipfile.ZipInfo, bytes]]) -> Edit:
    return lambda name, data: [make(data)] if name == target else [(name, data)]


IMG, TXT = f"{ROOT}/{IMAGE_FILE}", f"{ROOT}/{TEXT_FILE}"
IMAGE_PNGS = [f"{ROOT}/{f}" for f in md.referenced_files() if f.startswith(md.IMAGE_DIR) and f.endswith(".png")]
TRUNCATED, HUGE, OVER_LIMIT, BOMBED = IMAGE_PNGS[:4]


def corrupting(name: str, data: bytes) -> list[tuple[str | zipfile.ZipInfo, bytes]]:
    """Five kinds of bad image file in one archive: every one must be reported, not just the first."""
    if name in (TRUNCATED, TXT):
        return [(name, data[: len(data) // 2])]
    if name == HUGE:
        return [(name, png_claiming(100_000, 100_000))]
    if name == OVER_LIMIT:
        return [(name, png_claiming(8_000, 8_000))]
    if name == BOMBED:  # 64 MiB of zeros deflate to 64 KiB
        info = zipfile.ZipInfo(name)
        info.compress_type = zipfile.ZIP_DEFLATED
        return [(info, bytes(MAX_ENTRY_BYTES + 1))]
    return [(name, data)]


# case id -> (edit, extra entries, fragments the error must contain)
BROKEN: dict[str, tuple[Edit, list[tuple[str | zipfile.ZipInfo, bytes]], list[str]]] = {
    "missing files": (unless(IMG, TXT), [], ["(2 problems)", f"{IMG}: missing", f"{TXT}: missing"]),
    "missing and corrupt together": (
        lambda name, data: [] if name == TXT else [(name, data[:100] if name == TRUNCATED else data)],
        [],
        ["(2 problems)", f"{TXT}: missing", f"{TRUNCATED}: does not decode as an image"],
    ),
    "bad image files": (
        corrupting,
        [],
        [
            "(5 problems)",
            f"{TRUNCATED}: does not decode as an image (image file is truncated)",
            f"{TXT}: does not decode as an image (image file is truncated)",
            f"{HUGE}: does not decode as an image (Image size (10000000000 pixels) exceeds limit",
            f"{OVER_LIMIT}: 8000x8000 pixels exceeds the 40,000,000-pixel limit",
            f"{BOMBED}: 67,108,865 bytes, over the 67,108,864-byte limit",
        ],
    ),
    "dot-dot entry": (keep, [(f"{ROOT}/../../escape.txt", b"x")], ["'VSCBench-standin/../../escape.txt'", "'..'"]),
    "absolute entry": (keep, [("/tmp/escape.txt", b"x")], ["'/tmp/escape.txt' has an absolute path"]),
    "symlink entry": (replacing(IMG, lambda _: (symlink_entry(IMG), b"/etc/passwd")), [], [IMG]),
    "duplicate entry": (keep, [(IMG, b"second copy")], [f"{IMG!r} occurs 2 times"]),
    "image folders missing": (
        lambda name, data: [(name.replace(md.IMAGE_DIR, "images").replace(md.TEXT_DIR, "texts"), data)],
        [],
        [f"no folder {md.IMAGE_DIR}/", f"no folder {md.TEXT_DIR}/"],
    ),
    "image folder twice": (keep, [(f"copy/{IMAGE_FILE}", b"x")], [f"folder {md.IMAGE_DIR}/ found 2 times"]),
}


def test_zip_prepares_verifies_and_passes_the_task_check(standin_zip: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    manifest = prepare(standin_zip, data_dir)

    assert manifest["format"] == datadir.MANIFEST_FORMAT
    assert manifest["source"] == {"path": str(standin_zip.resolve()), "kind": "zip", "synthetic_standin": True}
    files = manifest["files"]
    assert sorted(files) == sorted(md.referenced_files())
    assert manifest["counts"] == {
        "files": 3598,
        "bytes": sum(entry["bytes"] for entry in files.values()),
        "image_centric": 1799,  # 1,800 references, one file used twice (image row 92)
        "text_centric": 1799,
    }
    with zipfile.ZipFile(standin_zip) as archive:
        original = archive.read(IMG)
    assert files[IMAGE_FILE] == {
        "sha256": hashlib.sha256(original).hexdigest(),
        "bytes": len(original),
        "width": 16,
        "height": 16,
    }
    snapshot = datadir.require_prepared(data_dir)
    assert snapshot == data_dir / manifest["snapshot"]
    assert (snapshot / IMAGE_FILE).read_bytes() == original  # copied, not re-encoded
    assert datadir.read_manifest(data_dir) == manifest
    assert written(data_dir) == {datadir.MANIFEST, manifest["snapshot"]}
    assert sum(1 for p in snapshot.rglob("*") if p.is_file()) == 3598  # only referenced files, no STAND-IN.txt
    assert verify(data_dir) == []


@pytest.mark.parametrize("depth", [0, 3])
def test_extracted_folder_prepares_at_any_depth(standin_tree: Path, tmp_path: Path, depth: int) -> None:
    source = standin_tree
    if depth:
        source = tmp_path / "a" / "b" / "c"
        shutil.copytree(standin_tree, source / "more" / "nesting")
    manifest = prepare(source, tmp_path / "data")
    assert manifest["source"]["kind"] == "folder"
    assert manifest["counts"]["files"] == 3598
    datadir.require_prepared(tmp_path / "data")


def test_data_dir_inside_the_extracted_folder_is_not_mistaken_for_the_archive(
    standin_tree: Path, tmp_path: Path
) -> None:
    source = tmp_path / "extracted"
    shutil.copytree(standin_tree, source)
    first = prepare(source, source / "data")
    second = prepare(source, source / "data")  # the first snapshot's image folders are inside the source now
    assert second["snapshot"] != first["snapshot"]
    # the first snapshot stays for evaluations still reading it; the third prepare removes it
    assert written(source / "data") == {datadir.MANIFEST, first["snapshot"], second["snapshot"]}
    third = prepare(source, source / "data")
    assert written(source / "data") == {datadir.MANIFEST, second["snapshot"], third["snapshot"]}


def test_only_generated_names_are_ever_removed(standin_zip: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    (data_dir / "snapshot-2024-holiday").mkdir(parents=True)
    (data_dir / "snapshot-2024-holiday" / "photo.jpg").write_bytes(b"mine")
    (data_dir / ".staging-notes.txt").write_text("mine too")
    prepare(standin_zip, data_dir)
    prepare(standin_zip, data_dir)
    prepare(standin_zip, data_dir)
    assert (data_dir / "snapshot-2024-holiday" / "photo.jpg").read_bytes() == b"mine"
    assert (data_dir / ".staging-notes.txt").read_text() == "mine too"


def test_a_failed_first_prepare_leaves_no_folder(standin_zip: Path, tmp_path: Path) -> None:
    broken = edited_zip(standin_zip, tmp_path / "broken.zip", unless(IMG))
    with pytest.raises(PrepareError):
        prepare(broken, tmp_path / "fresh" / "data")
    assert not (tmp_path / "fresh" / "data").exists()


def test_verify_reports_a_missing_snapshot_once(good_state: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(good_state, data_dir)
    shutil.rmtree(datadir.require_prepared(data_dir))
    [problem] = verify(data_dir)
    assert "snapshot folder" in problem and "is missing" in problem


def test_zip_without_a_parent_folder_prepares(standin_zip: Path, tmp_path: Path) -> None:
    flat = edited_zip(standin_zip, tmp_path / "flat.zip", lambda name, data: [(name.removeprefix(f"{ROOT}/"), data)])
    manifest = prepare(flat, tmp_path / "data")
    assert manifest["counts"]["files"] == 3598
    datadir.require_prepared(tmp_path / "data")


def test_only_an_archive_with_the_stand_in_marker_is_flagged_synthetic(standin_zip: Path, tmp_path: Path) -> None:
    unmarked = edited_zip(standin_zip, tmp_path / "unmarked.zip", unless(f"{ROOT}/{datadir.STANDIN_MARKER}"))
    assert prepare(unmarked, tmp_path / "data")["source"]["synthetic_standin"] is False


def test_cli_prepare_and_verify(standin_zip: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    done = subprocess.run(
        [*CLI, "prepare", str(standin_zip), "--data-dir", str(data_dir)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "Prepared 3,598 images" in done.stdout and "SYNTHETIC STAND-IN" in done.stdout
    assert done.stdout.rstrip().endswith(f"export VSCBENCH_DATA_DIR={data_dir}")  # what to do next, last
    done = subprocess.run([*CLI, "verify", "--data-dir", str(data_dir)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.filterwarnings("ignore:Duplicate name:UserWarning")  # zipfile, writing the duplicate-entry case
@pytest.mark.parametrize("previous", [False, True], ids=["empty data dir", "over a good state"])
@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_archive_is_refused_and_changes_nothing(
    case: str, previous: bool, standin_zip: Path, good_state: Path, tmp_path: Path
) -> None:
    edit, extra, expected = BROKEN[case]
    broken = edited_zip(standin_zip, tmp_path / "broken.zip", edit, extra)
    data_dir = tmp_path / "data"
    if previous:
        shutil.copytree(good_state, data_dir)
    before = tree_bytes(data_dir) if previous else {}

    with pytest.raises(PrepareError) as raised:
        prepare(broken, data_dir)

    message = str(raised.value)
    for fragment in expected:
        assert fragment in message
    if previous:
        assert tree_bytes(data_dir) == before
        datadir.require_prepared(data_dir)
    else:
        assert written(data_dir) == set()


@pytest.mark.parametrize("case", ["missing files", "missing and corrupt together", "bad image files"])
def test_broken_extracted_folder_is_refused_like_the_zip(case: str, standin_zip: Path, tmp_path: Path) -> None:
    edit, extra, expected = BROKEN[case]
    with zipfile.ZipFile(edited_zip(standin_zip, tmp_path / "broken.zip", edit, extra)) as archive:
        archive.extractall(tmp_path / "extracted")  # our own benign archive
    with pytest.raises(PrepareError) as raised:
        prepare(tmp_path / "extracted", tmp_path / "data")
    for fragment in expected:
        assert fragment in str(raised.value)
    assert not (tmp_path / "data").exists()


def test_cli_reports_every_broken_file_with_exit_1(standin_zip: Path, tmp_path: Path) -> None:
    edit, extra, expected = BROKEN["bad image files"]
    broken = edited_zip(standin_zip, tmp_path / "broken.zip", edit, extra)
    done = subprocess.run(
        [*CLI, "prepare", str(broken), "--data-dir", str(tmp_path / "d")], capture_output=True, text=True
    )
    assert done.returncode == 1
    assert all(fragment in done.stderr for fragment in expected), done.stderr
    assert written(tmp_path / "d") == set()


def test_not_a_zip_and_nonexistent_source_are_clear_errors(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not an archive")
    with pytest.raises(PrepareError, match="not a readable zip archive"):
        prepare(text, tmp_path / "data")
    with pytest.raises(PrepareError, match="no such file or folder"):
        prepare(tmp_path / "absent.zip", tmp_path / "data")
    assert written(tmp_path / "data") == set()


def test_symlinks_in_a_folder_are_refused_not_followed(standin_tree: Path, tmp_path: Path) -> None:
    source = tmp_path / "src"
    shutil.copytree(standin_tree, source)
    outside = tmp_path / "outside.png"
    outside.write_bytes((source / ROOT / IMAGE_FILE).read_bytes())  # a valid image, so only the link is wrong
    (source / ROOT / IMAGE_FILE).unlink()
    (source / ROOT / IMAGE_FILE).symlink_to(outside)

    with pytest.raises(PrepareError, match="symbolic link") as raised:
        prepare(source, tmp_path / "data")
    assert f"{ROOT}/{IMAGE_FILE} is a symbolic link" in str(raised.value)
    assert written(tmp_path / "data") == set()


def test_verify_names_modified_and_deleted_files(good_state: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(good_state, data_dir)
    snapshot = datadir.require_prepared(data_dir)
    with open(snapshot / IMAGE_FILE, "ab") as fh:
        fh.write(b"\0")  # still decodes: only the hash can tell
    (snapshot / TEXT_FILE).unlink()

    problems = verify(data_dir)
    assert problems == [
        f"{IMAGE_FILE}: sha256, bytes differ from the manifest (modified after prepare)",
        f"{TEXT_FILE}: missing",
    ]
    done = subprocess.run([*CLI, "verify", "--data-dir", str(data_dir)], capture_output=True, text=True)
    assert done.returncode == 1
    assert f"{data_dir} failed verification (2 problems):" in done.stderr
    assert IMAGE_FILE in done.stderr and TEXT_FILE in done.stderr
    assert done.stderr.rstrip().endswith("Run `vscbench prepare` again to rebuild it.")


def test_verify_of_an_unprepared_dir_says_how_to_prepare(tmp_path: Path) -> None:
    [problem] = verify(tmp_path / "nothing")
    assert "vscbench prepare" in problem


def test_a_running_prepare_locks_out_a_second_one(standin_zip: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    with filelock.FileLock(data_dir / LOCK_FILE), pytest.raises(PrepareError, match="another `vscbench prepare`"):
        prepare(standin_zip, data_dir)
    assert written(data_dir) == set()


@pytest.mark.parametrize("previous", [False, True], ids=["empty data dir", "over a good state"])
def test_sigkill_midway_leaves_the_old_state_or_nothing(
    previous: bool, standin_zip: Path, good_state: Path, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    if previous:
        shutil.copytree(good_state, data_dir)
    before = tree_bytes(data_dir) if previous else {}
    # prepare in a child process, killed once 200 files are staged.
    script = f"from vscbench_task.dataset.prepare import prepare; prepare({str(standin_zip)!r}, {str(data_dir)!r})"
    process = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while process.poll() is None and staged_files(data_dir) < 200:
            time.sleep(0.005)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert process.returncode == -signal.SIGKILL, "prepare finished before it could be killed midway"
    assert any(p.name.startswith(STAGING_PREFIX) for p in data_dir.iterdir())

    if previous:
        after = tree_bytes(data_dir)
        assert {k: v for k, v in after.items() if not k.startswith(STAGING_PREFIX)} == before
        datadir.require_prepared(data_dir)
    else:
        assert not (data_dir / datadir.MANIFEST).exists()
        with pytest.raises(datadir.DataNotPreparedError):
            datadir.require_prepared(data_dir)

    old_snapshot = {json.loads(before[datadir.MANIFEST])["snapshot"]} if previous else set()
    manifest = prepare(standin_zip, data_dir)  # a new prepare cleans up the stale staging
    assert written(data_dir) == {datadir.MANIFEST, manifest["snapshot"], *old_snapshot}
    assert verify(data_dir) == []


def staged_files(data_dir: Path) -> int:
    """Files written so far into any staging folder of ``data_dir``."""
    if not data_dir.exists():
        return 0
    staging = [p for p in data_dir.iterdir() if p.name.startswith(STAGING_PREFIX)]
    return sum(len(files) for folder in staging for _, _, files in os.walk(folder))


def patched_central_directory(source: Path, dest: Path, names: set[str], **fields: int | str) -> Path:
    """A copy of ``source`` whose central directory says something else about ``names``: ``file_size``
    (declared uncompressed size) or ``offset_of`` (make the entries point at another entry's data)."""
    data = bytearray(source.read_bytes())
    with zipfile.ZipFile(source) as archive:
        offsets = {info.filename: info.header_offset for info in archive.infolist()}
        pos = archive.start_dir
    while data[pos : pos + 4] == b"PK\x01\x02":
        name_len, extra_len, comment_len = struct.unpack("<HHH", data[pos + 28 : pos + 34])
        name = bytes(data[pos + 46 : pos + 46 + name_len]).decode()
        if name in names:
            if "file_size" in fields:
                struct.pack_into("<I", data, pos + 24, int(fields["file_size"]))
            if "offset_of" in fields:
                struct.pack_into("<I", data, pos + 42, offsets[str(fields["offset_of"])])
        pos += 46 + name_len + extra_len + comment_len
    dest.write_bytes(bytes(data))
    return dest


def test_overlapping_entries_are_refused_before_anything_is_written(standin_zip: Path, tmp_path: Path) -> None:
    bomb = patched_central_directory(standin_zip, tmp_path / "bomb.zip", {IMG}, offset_of=TXT)
    with pytest.raises(PrepareError, match="overlap \\(a zip bomb\\)"):
        prepare(bomb, tmp_path / "data")
    assert written(tmp_path / "data") == set()


def test_an_archive_declaring_more_than_the_benchmark_could_hold_is_refused_before_reading(
    standin_zip: Path, tmp_path: Path
) -> None:
    huge = patched_central_directory(standin_zip, tmp_path / "huge.zip", set(IMAGE_PNGS[:5]), file_size=0xFFFFFFF0)
    with pytest.raises(PrepareError, match=r"declare 21,4[0-9,]+ bytes, over the 17,179,869,184-byte limit"):
        prepare(huge, tmp_path / "data")
    assert written(tmp_path / "data") == set()


def test_an_entry_inflating_far_more_than_an_image_would_is_refused(standin_zip: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(standin_zip) as archive:
        stored = archive.getinfo(IMG).compress_size
    inflating = patched_central_directory(standin_zip, tmp_path / "z.zip", {IMG}, file_size=stored * 500)
    with pytest.raises(PrepareError, match=f"{IMG}: inflates 500 times its stored size"):
        prepare(inflating, tmp_path / "data")


def test_a_png_carrying_a_payload_is_refused(standin_zip: Path, tmp_path: Path) -> None:
    def with_text_chunk(data: bytes) -> tuple[str, bytes]:
        payload = b"Comment\x00" + b"x" * (3 * 1024 * 1024)
        chunk = struct.pack(">I", len(payload)) + b"tEXt" + payload + struct.pack(">I", zlib.crc32(b"tEXt" + payload))
        return IMG, data[:33] + chunk + data[33:]

    carrying = edited_zip(standin_zip, tmp_path / "payload.zip", replacing(IMG, with_text_chunk))
    with pytest.raises(PrepareError, match=f"{IMG}: .* payload that is not the image"):
        prepare(carrying, tmp_path / "data")


def test_a_zip_written_on_windows_with_backslashes_prepares(standin_zip: Path, tmp_path: Path) -> None:
    windows = edited_zip(standin_zip, tmp_path / "win.zip", lambda name, data: [(name.replace("/", "\\"), data)])
    with zipfile.ZipFile(windows) as archive:
        assert "\\" in archive.namelist()[1]
    manifest = prepare(windows, tmp_path / "data")
    assert manifest["counts"]["files"] == 3598 and verify(tmp_path / "data") == []


def test_a_macos_zip_of_a_download_folder_prepares(standin_zip: Path, tmp_path: Path) -> None:
    def under_downloads(name: str, data: bytes) -> list[tuple[str, bytes]]:
        folder, file = name.rsplit("/", 1)
        return [(f"Downloads/{name}", data), (f"Downloads/__MACOSX/{folder}/._{file}", b"\x00\x05\x16\x07")]

    macos = edited_zip(standin_zip, tmp_path / "mac.zip", under_downloads)
    assert prepare(macos, tmp_path / "data")["counts"]["files"] == 3598


def test_a_zip_with_invalid_utf8_names_is_refused_with_a_message(standin_zip: Path, tmp_path: Path) -> None:
    data = bytearray(standin_zip.read_bytes())
    with zipfile.ZipFile(standin_zip) as archive:
        pos = archive.start_dir
    struct.pack_into("<H", data, pos + 8, struct.unpack("<H", data[pos + 8 : pos + 10])[0] | 0x800)  # "UTF-8"
    data[pos + 46] = 0xFF  # not UTF-8
    (tmp_path / "bad.zip").write_bytes(bytes(data))
    with pytest.raises(PrepareError, match="not a readable zip archive"):
        prepare(tmp_path / "bad.zip", tmp_path / "data")


def test_verify_reports_a_malformed_manifest_entry_without_a_traceback(good_state: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(good_state, data_dir)
    manifest = json.loads((data_dir / datadir.MANIFEST).read_text())
    manifest["files"][IMAGE_FILE] = "not a record"
    (data_dir / datadir.MANIFEST).write_text(json.dumps(manifest))
    [problem] = verify(data_dir)
    assert f"its entry for {IMAGE_FILE!r} is not a file record" in problem
    done = subprocess.run([*CLI, "verify", "--data-dir", str(data_dir)], capture_output=True, text=True)
    assert done.returncode == 1 and "Traceback" not in done.stderr
