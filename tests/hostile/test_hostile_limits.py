"""Run the memory and time attacks in a real process under resource limits, and Ctrl-C a render twice.

Each case runs ``python -m engine`` with its address space bounded to 2 GiB and its CPU time to 30 s
(RLIMIT_AS, RLIMIT_CPU): an attack the engine does not bound ends in a MemoryError, a signal or the
internal-error status instead of the named LimitError (exit 10) that each limit promises. Nothing
is waited for: every case must end well within seconds.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.hostile.corpus import by_name, render_argv, text_spec, validate_argv

ADDRESS_SPACE = 2 << 30  # bytes
CPU_SECONDS = 30
WALL_SECONDS = 60  # a hang fails the case instead of stalling the suite

FOUR_LOOPS = ("{% for a in d.ds %}{% for b in d.ds %}{% for c in d.ds %}{% for e in d.ds %}"
              "{% endfor %}{% endfor %}{% endfor %}{% endfor %}")  # 100 million iterations of d.ds (100 items)


def bounded() -> None:
    """Run in the child before the engine starts: a 2 GiB address space and 30 s of CPU."""
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))


def engine_command(argv: list[str]) -> list[str]:
    return [sys.executable, "-m", "engine", *argv]


def environment() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if name not in ("VANBAN_DEBUG", "VANBAN_GIOI_HAN")}


def _corpus(name: str) -> Callable[[Path], list[str]]:
    return by_name(name).build


def _heavy_loops(*more: str) -> Callable[[Path], list[str]]:
    def build(tmp: Path) -> list[str]:
        return validate_argv(text_spec(tmp, FOUR_LOOPS), *more)

    return build


# name, builder, the LimitError code it must end with
LIMIT_CASES: list[tuple[str, Callable[[Path], list[str]], str]] = [
    ("a_billion_character_string", _corpus("spec_text_repeating_a_string_a_billion_times_is_a_text_limit"),
     "LIMIT_TEXT"),
    ("a_billion_item_list", _corpus("spec_text_repeating_a_list_a_billion_times_is_a_list_limit"), "LIMIT_LIST"),
    ("centering_in_a_billion_columns", _corpus("spec_text_centering_in_a_billion_columns_is_a_text_limit"),
     "LIMIT_TEXT"),
    ("a_template_repeating_a_string_a_billion_times",
     _corpus("template_repeating_a_string_a_billion_times_is_a_text_limit"), "LIMIT_TEXT"),
    ("a_million_digit_number_in_a_data_file", _corpus("million_digit_decimal_in_a_data_file_is_a_number_limit"),
     "LIMIT_NUMBER"),
    ("a_zip_bomb_docx_given_to_check", _corpus("zip_bomb_docx_given_to_check_is_a_zip_limit"), "LIMIT_ZIP"),
    ("a_zip_bomb_xlsx_score_table", _corpus("zip_bomb_xlsx_score_table_is_a_zip_limit"), "LIMIT_ZIP"),
    ("a_yaml_alias_bomb", _corpus("yaml_alias_bomb_in_the_spec_is_a_yaml_limit"), "LIMIT_YAML"),
    ("a_two_hundred_thousand_row_csv", _corpus("score_csv_of_two_hundred_thousand_rows_is_a_row_limit"),
     "LIMIT_ROWS"),
    ("nested_loops_past_the_default_so_vong_lap", _heavy_loops(), "LIMIT_LOOP"),
    ("a_heavy_loop_past_one_second_of_thoi_gian_dung",
     _heavy_loops("--gioi-han", "thoi_gian_dung=1", "--gioi-han", "so_vong_lap=1000000000"), "LIMIT_TIME"),
]


@pytest.mark.parametrize(("name", "build", "code"), LIMIT_CASES, ids=[case[0] for case in LIMIT_CASES])
def test_under_a_memory_and_cpu_bound_each_attack_ends_in_its_named_limit(
        name: str, build: Callable[[Path], list[str]], code: str, tmp_path: Path) -> None:
    argv = build(tmp_path)
    started = time.monotonic()
    process = subprocess.run(engine_command(argv), capture_output=True, text=True, cwd=ROOT, env=environment(),
                             preexec_fn=bounded, timeout=WALL_SECONDS)
    seconds = time.monotonic() - started
    shown = (f"{name}: exit {process.returncode} after {seconds:.1f} s\n{process.stdout[-2000:]}\n"
             f"{process.stderr[-2000:]}")
    assert process.returncode >= 0, f"killed by signal {-process.returncode}: {shown}"
    assert process.returncode != 70, shown
    for word in ("MemoryError", "Traceback"):
        assert word not in process.stdout + process.stderr, shown
    assert process.returncode == 10, shown
    assert code in process.stdout + process.stderr, shown
    assert seconds < 10, shown


# ----- Ctrl-C twice during a render -----------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a running process has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _slow_spec_text(tmp: Path) -> list[str]:
    return render_argv(tmp, text_spec(tmp, FOUR_LOOPS), "--gioi-han", "so_vong_lap=10000000000")


def _slow_template(tmp: Path) -> list[str]:
    from tests.hostile.corpus import template_attack

    loops = ("{% for a in van_ban.noi_nhan %}{% for b in van_ban.noi_nhan %}{% for c in van_ban.noi_nhan %}"
             "{% for e in van_ban.noi_nhan %}{% for f in van_ban.noi_nhan %}{% for g in van_ban.noi_nhan %}"
             "{% for h in van_ban.noi_nhan %}{% for i in van_ban.noi_nhan %}{% for j in van_ban.noi_nhan %}"
             "{% endfor %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}"
             "{% endfor %}")  # 7 nơi nhận ** 9: forty million iterations
    return template_attack(loops, more=("--gioi-han", "so_vong_lap=10000000000"))(tmp)


@pytest.mark.parametrize("gap", [0.01, 0.05], ids=["10ms_apart", "50ms_apart"])
@pytest.mark.parametrize("build", [_slow_spec_text, _slow_template], ids=["in_spec_text", "in_the_template"])
def test_a_second_ctrl_c_during_a_render_ends_quietly_with_130_and_leaves_no_file(
        build: Callable[[Path], list[str]], gap: float, tmp_path: Path) -> None:
    argv = build(tmp_path)
    output = Path(argv[argv.index("-o") + 1])
    process = subprocess.Popen(engine_command(argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               cwd=ROOT, env=environment(), preexec_fn=bounded)
    try:
        deadline = time.monotonic() + 20
        while cpu_seconds(process.pid) < 1.5:  # imports and prepare take well under this: the render is running
            assert process.poll() is None, f"ended before the interrupt: {process.communicate()}"
            assert time.monotonic() < deadline, "the render did not start"
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        time.sleep(gap)
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=WALL_SECONDS)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    shown = f"exit {process.returncode}\n{stdout[-2000:]}\n{stderr[-3000:]}"
    assert process.returncode == 130, shown
    assert "Traceback" not in stderr, shown
    assert not output.exists(), shown
    assert not list(output.parent.glob(".*.tmp")), shown
