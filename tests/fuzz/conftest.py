"""Hypothesis profiles of the fuzz tests.

- ``ci`` (the default): few examples, derandomized (the same examples on every run, so CI is
  deterministic), no deadline, no example database: the whole folder runs in about a minute.
- ``long``: a very large number of examples, fresh random ones each run, no deadline, no database.

Choose with ``VANBAN_FUZZ=long`` in the environment, or ``pytest tests/fuzz --hypothesis-profile=long``
(hypothesis's own option; it needs this file loaded first, which naming tests/fuzz on the command
line does). ``python -m tests.fuzz.long_run --minutes 60`` runs the long profile with fresh seeds
until the time is up and prints every distinct failure. No run writes anything into the repository: there
is no example database, and hypothesis's own caches go to the system's temporary folder.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir

# Hypothesis keeps caches (constants, Unicode tables) in ./.hypothesis even without a database: keep them
# out of the repository.
if not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
    set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "vanban-engine-hypothesis")

SUPPRESSED_HEALTH_CHECKS = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large,
                            HealthCheck.large_base_example]

settings.register_profile(
    "ci", max_examples=100, deadline=None, derandomize=True, database=None, print_blob=False,
    suppress_health_check=SUPPRESSED_HEALTH_CHECKS,
)
settings.register_profile(
    "long", max_examples=100_000_000, deadline=None, derandomize=False, database=None, print_blob=False,
    suppress_health_check=SUPPRESSED_HEALTH_CHECKS,
)

# A profile named with --hypothesis-profile wins (the plugin loads it after this file when this file is
# loaded first, or has loaded it already); otherwise VANBAN_FUZZ, otherwise "ci".
if settings.get_current_profile_name() == "default":
    settings.load_profile(os.environ.get("VANBAN_FUZZ") or "ci")
