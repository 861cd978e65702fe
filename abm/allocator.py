"""Keep the market's large per-period tables off the kernel's page-fault path (glibc only).

A market's forgone-payoff tables are megabytes each and are built and freed every period (the
checks' pair markets: 120 fine-tuners × 6,001 effort levels, 5.8 MB an array). By default
glibc's malloc returns a freed block at the top of its heap to the system as soon as more than
a few of them are free, and the next period faults the same pages back in: in a pair market a
quarter of the time went to the kernel. :func:`hold_freed_memory` raises the two thresholds
(blocks up to 32 MiB come from the heap, and up to 64 MiB of free memory stays there), which
takes that time away and changes no result. The ``abm`` command, ``python -m analysis.NAME``
and the process pool's workers call it; a library user can set the same with the environment
variables ``MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=67108864``.
"""

from __future__ import annotations

import ctypes
import sys

#: mallopt's parameters (glibc's malloc.h) and the values set.
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20  # glibc's largest allowed value on 64-bit systems
TRIM_THRESHOLD = 64 << 20


def hold_freed_memory() -> bool:
    """Set glibc's mmap and trim thresholds for this process; False where there is no glibc.

    Setting either threshold ends glibc's own adjustment of both, so both are set. Calling it
    again changes nothing.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # another C library (musl) or none by that name
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(
        mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
