"""Run the fuzz properties again and again with fresh random seeds until the time is up; report every failure.

    .venv/bin/python -m tests.fuzz.long_run --minutes 60

Each round takes the next property of tests/fuzz/test_properties.py (round robin), gives it a fresh seed
and the "long" profile (not derandomized) with ``--chunk`` examples, and runs it. A failure does not stop
the run: its minimal example (hypothesis shrinks it) is recorded with a Python reproducer, and the same
problem (same kind, exception type and engine line) is then only counted when met again, so the time goes
to finding new ones. At the end (or on Ctrl-C / SIGTERM) a JSON summary is printed: minutes run, examples
per property (every call, shrinking included), the outcomes seen (a .docx, or the error code), and every
distinct failure with its type, message, place and reproducer. ``--output FILE`` also writes the summary
there after every round, for watching a long run. The explicit ``@example`` inputs of the properties (the
problems found before, which the CI profile runs every time) are left out here.

The process's address space is capped (``--memory-gb``, default 8) so that a runaway allocation is a
MemoryError that gets reported, not the machine's OOM killer.
"""

from __future__ import annotations

import argparse
import inspect
import json
import random
import signal
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _without_explicit_examples(function: Callable[..., None]) -> Callable[..., None]:
    """``function`` without the ``@example`` inputs stuck to it: the known problems are the CI's to run."""

    def property_(*args: Any, **kwargs: Any) -> None:
        function(*args, **kwargs)

    property_.__name__ = property_.__qualname__ = function.__name__
    property_.__module__ = function.__module__
    property_.__signature__ = inspect.signature(function)  # type: ignore[attr-defined]
    return property_


def _leaves(error: BaseException, flaky: bool = False) -> list[tuple[BaseException, bool]]:
    """Every exception inside ``error`` (exception groups opened), with whether it came from a flaky report."""
    if isinstance(error, BaseExceptionGroup):
        flaky = flaky or type(error).__name__ == "FlakyFailure"
        return [leaf for inner in error.exceptions for leaf in _leaves(inner, flaky)]
    return [(error, flaky)]


class Run:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.started = time.monotonic()
        self.rounds = 0
        self.rounds_per_test: dict[str, int] = {}
        self.failures: dict[str, dict[str, Any]] = {}
        self.harness_errors: dict[str, dict[str, Any]] = {}

    def minutes(self) -> float:
        return (time.monotonic() - self.started) / 60

    def record(self, test: str, error: BaseException, seed: int) -> None:
        from tests.fuzz import test_properties as properties

        for leaf, flaky in _leaves(error):
            if isinstance(leaf, properties.ContractViolation):
                key = " | ".join(leaf.key)
                properties.KNOWN.add(leaf.key)
                entry = self.failures.get(key)
                found = {"kind": leaf.kind, "test": leaf.test, "exception": leaf.error_type, "message": leaf.detail,
                         "engine_frame": leaf.where, "innermost_frame": leaf.innermost, "flaky": flaky,
                         "reproducer": leaf.reproducer}
                if entry is None:
                    entry = self.failures[key] = {**found, "times_shrunk": 0, "first_minute": round(self.minutes(), 1),
                                                  "seeds": []}
                elif len(leaf.reproducer) < len(entry["reproducer"]):
                    entry.update(found)
                entry["times_shrunk"] += 1
                entry["seeds"].append(seed)
            else:
                text = "".join(traceback.format_exception_only(type(leaf), leaf)).strip()
                key = f"{test} | {type(leaf).__name__} | {text.splitlines()[0][:200] if text else ''}"
                entry = self.harness_errors.setdefault(key, {
                    "test": test, "exception": type(leaf).__name__, "message": text[:2000],
                    "traceback": "".join(traceback.format_exception(leaf))[-4000:], "notes": getattr(leaf, "__notes__",
                                                                                                  [])[:3],
                    "count": 0, "seeds": []})
                entry["count"] += 1
                entry["seeds"].append(seed)

    def summary(self) -> dict[str, Any]:
        from tests.fuzz import test_properties as properties

        outcomes: dict[str, dict[str, int]] = {}
        for (test, outcome), count in sorted(properties.OUTCOMES.items()):
            outcomes.setdefault(test, {})[outcome] = count
        suppressed = {" | ".join(key): count for key, count in properties.SUPPRESSED.items()}
        failures = []
        for key, entry in sorted(self.failures.items(), key=lambda item: (item[1]["test"], item[0])):
            failures.append({"key": key, **entry, "met_again_and_counted": suppressed.get(key, 0)})
        return {
            "minutes_run": round(self.minutes(), 2),
            "minutes_asked": self.args.minutes,
            "rounds": self.rounds,
            "rounds_per_test": self.rounds_per_test,
            "examples_per_round": self.args.chunk,
            "examples_per_test": dict(properties.CALLS),
            "outcomes_per_test": outcomes,
            "distinct_failures": len(failures),
            "failures": failures,
            "harness_errors": list(self.harness_errors.values()),
        }

    def write(self) -> None:
        if self.args.output:
            Path(self.args.output).write_text(json.dumps(self.summary(), ensure_ascii=False, indent=2,
                                                         default=str), encoding="utf-8")


def _limit_memory(gigabytes: float) -> None:
    try:
        import resource

        limit = int(gigabytes * (1 << 30))
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, ValueError, OSError):
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=60.0, help="how long to fuzz (default 60)")
    parser.add_argument("--chunk", type=int, default=200, help="examples per round before a fresh seed (default 200)")
    parser.add_argument("--tests", default="", help="comma-separated property names (default: all)")
    parser.add_argument("--memory-gb", type=float, default=8.0, help="address-space cap of this process (default 8)")
    parser.add_argument("--output", default="", help="also write the JSON summary to this file after every round")
    parser.add_argument("--seed", type=int, default=None, help="seed of the seeds (default: random)")
    args = parser.parse_args(argv)

    _limit_memory(args.memory_gb)
    import warnings

    warnings.filterwarnings("ignore", message="Generating overly large repr")
    from hypothesis import given, seed, settings

    import tests.fuzz.conftest  # noqa: F401 - registers the profiles
    from tests.fuzz import test_properties as properties

    properties.SUPPRESS_KNOWN = True
    names = [name for name in properties.PROPERTIES if not args.tests or name in args.tests.split(",")]
    if not names:
        parser.error(f"no such property; known: {', '.join(properties.PROPERTIES)}")
    seeds = random.Random(args.seed)
    run = Run(args)
    deadline = run.started + args.minutes * 60

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    index = 0
    try:
        while time.monotonic() < deadline:
            name = names[index % len(names)]
            index += 1
            function, strategies = properties.PROPERTIES[name]
            round_seed = seeds.getrandbits(64)
            test = settings(parent=settings.get_profile("long"), max_examples=args.chunk, derandomize=False)(
                seed(round_seed)(given(**strategies)(_without_explicit_examples(function))))
            run.rounds += 1
            run.rounds_per_test[name] = run.rounds_per_test.get(name, 0) + 1
            try:
                test()
            except KeyboardInterrupt:
                raise
            except BaseException as error:  # noqa: BLE001 - collect and go on
                run.record(name, error, round_seed)
            run.write()
            print(f"[{run.minutes():6.1f} min] round {run.rounds} {name}: {properties.CALLS[name]} calls, "
                  f"{len(run.failures)} distinct failures", file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        print("stopped early", file=sys.stderr)
    run.write()
    print(json.dumps(run.summary(), ensure_ascii=False, indent=2, default=str))
    return 1 if run.failures else 0


if __name__ == "__main__":
    sys.exit(main())
