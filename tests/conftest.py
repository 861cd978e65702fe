"""Shared test configuration.

Under CI (``CI`` set) hypothesis draws its examples deterministically, so a run is
reproducible; locally it explores new examples each run.
"""

import os
import shutil

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture
def as_user() -> list[str]:
    """A command prefix under which file permissions apply, as they do to a user.

    Empty unless the tests run as root, who reads and writes any file: then ``setpriv`` drops
    root's file-permission override (skipped where ``setpriv`` is missing).
    """
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("root reads and writes any file, and setpriv is not there to drop that")
    drop = "-dac_override,-dac_read_search"
    return ["setpriv", f"--bounding-set={drop}", f"--inh-caps={drop}"]
