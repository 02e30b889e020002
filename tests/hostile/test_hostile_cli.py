"""Run every hostile case of the corpus through the CLI in-process and hold each answer to the engine's promises.

For every case: the documented exit status and error code, no traceback and never the internal-error
status 70, no Python repr of an object in any message, no file written that the case does not allow,
and nothing of /etc/passwd in any output or written file.
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import stat
import zipfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from engine.cli import main
from tests.hostile.corpus import CASES, CATEGORIES, PASSWD_LINE, Case

TIMEOUT = 60  # seconds for one case: a read that never ends (a FIFO, a device) fails its case, not the suite
REPR_MARKS = ("Traceback", "<class '", "object at 0x", "<function ", "<bound method", "<built-in ")


class Hung(BaseException):
    """The command did not end within TIMEOUT (a BaseException: the CLI's last net does not catch it)."""


@contextmanager
def deadline(seconds: int) -> Iterator[None]:
    def expire(signum: int, frame: object) -> None:
        raise Hung(f"the command was still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def tree(root: Path) -> set[str]:
    """Every path under ``root`` (files, folders, links, FIFOs), relative, without following links."""
    found: set[str] = set()
    for folder, folders, files in os.walk(root):
        for name in folders + files:
            found.add(os.path.relpath(os.path.join(folder, name), root))
    return found


def exists(path: Path) -> bool:
    """Whether anything is at ``path`` (a name too long for the file system is nothing)."""
    try:
        return os.path.lexists(path)
    except OSError:
        return False


def allowed_paths(writes: tuple[str, ...]) -> set[str]:
    allowed: set[str] = set()
    for written in writes:
        allowed.add(written)
        parent = Path(written).parent
        while str(parent) != ".":
            allowed.add(str(parent))
            parent = parent.parent
    return allowed


def contents(path: Path) -> Iterator[bytes]:
    """The bytes of a regular file, and of each member if it is a zip package."""
    if not stat.S_ISREG(os.lstat(path).st_mode):
        return
    data = path.read_bytes()
    yield data
    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for name in archive.namelist():
                yield archive.read(name)


def reported_codes(item: Case, argv: list[str], result: Result) -> list[str]:
    """The codes the command reported: from its JSON when it has --json, else the ``[CODE]`` marks."""
    if "--json" in argv:
        try:
            problems = json.loads(result.stdout)
        except ValueError:
            pytest.fail(f"{item.name}: --json did not print JSON:\n{result.output[-3000:]}")
        assert isinstance(problems, list), problems
        return [str(problem.get("code")) for problem in problems if isinstance(problem, dict)]
    return re.findall(r"\[([A-Z][A-Z_]+)\]", result.output)


def batch_report(argv: list[str]) -> dict[str, dict]:
    out = Path(argv[argv.index("--out") + 1])
    report = json.loads((out / "ket_qua_lo.json").read_text(encoding="utf-8"))
    return {unit["ma"]: unit for unit in report["don_vi"]}


def test_the_corpus_has_several_cases_in_every_category() -> None:
    per_category = Counter(item.category for item in CASES)
    assert set(per_category) == set(CATEGORIES)
    assert all(count >= 5 for count in per_category.values()), per_category
    assert 60 <= len(CASES) <= 200


@pytest.mark.parametrize("item", CASES, ids=str)
def test_a_hostile_input_gets_its_named_answer_and_leaves_nothing_behind(item: Case, tmp_path: Path) -> None:
    argv = item.build(tmp_path)
    before = tree(tmp_path)
    with deadline(TIMEOUT):
        result = CliRunner().invoke(main, argv, catch_exceptions=True)
    output = result.output
    shown = f"{item.name}: exit {result.exit_code}\n$ vanban {' '.join(argv)[:400]}\n{output[-3000:]}"

    # What must hold whatever the answer: no crash, no internals, nothing leaked, nothing left behind.
    assert result.exception is None or isinstance(result.exception, SystemExit), shown
    assert result.exit_code != 70, shown
    for mark in REPR_MARKS:
        assert mark not in output, f"{mark!r} in the output: {shown}"
    assert PASSWD_LINE not in output, shown
    after = tree(tmp_path)
    written = after - before
    allowed = allowed_paths(item.writes)
    assert written <= allowed, f"{item.name} wrote {sorted(written - allowed)}: {shown}"
    if "-o" in argv:
        output_path = Path(argv[argv.index("-o") + 1])
        shown_output = os.path.relpath(output_path, tmp_path)
        if shown_output not in item.writes and shown_output not in before:
            assert not exists(output_path), f"{item.name} wrote its output {output_path}"
    assert not [name for name in after if Path(name).name.startswith(".") and name.endswith(".tmp")], after
    for name in written:
        for content in contents(tmp_path / name):
            assert PASSWD_LINE.encode() not in content, f"{item.name}: /etc/passwd leaked into {name}"

    # The answer itself: its exit status, its code (in the JSON, the message or the batch report), its words.
    assert result.exit_code == item.exit, shown
    if item.failed_units:
        units = batch_report(argv)
        for ma in item.failed_units:
            assert units[ma]["status"] == "loi", units[ma]
        assert all(unit["status"] == "ok" for ma, unit in units.items() if ma not in item.failed_units), units
        for ma in item.failed_units:
            assert item.code in json.dumps(units[ma], ensure_ascii=False), (
                f"{item.name}: unit {ma} failed but ket_qua_lo.json does not give its code {item.code}: {units[ma]}")
    elif item.code is not None:
        assert item.code in reported_codes(item, argv, result), shown
    elif "--json" in argv:
        printed = json.loads(result.stdout)
        # check --json prints {findings, provenance}; validate --json the list of problems
        assert (printed["findings"] if argv[0] == "check" else printed) == [], shown
    for text in item.says:
        assert text in output, f"{item.name}: the message does not say {text!r}: {shown}"
    for expected in item.writes:
        assert (tmp_path / expected).exists(), f"{item.name} did not write {expected}: {shown}"
    if item.expect is not None:
        item.expect(tmp_path)
