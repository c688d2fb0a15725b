"""Large allocations of `serve` each get a mapping of their own, given back to the system when freed (glibc only).

Python takes blocks of more than 512 bytes from the C library's malloc: a page's HTML, a socket message, a query's
rows. glibc serves a request of 128 KiB or more with its own mapping, but raises that threshold by itself each
time such a block is freed (up to 32 MiB); from then on blocks of that size are cut from the heap, and the heap's
free space, fragmented by smaller blocks between them, is never given back. Under the soak (bench/soak.py, 500
tabs and steady page views) the server's RSS grew in 20 MiB steps for ten minutes while what it had allocated
stayed flat. Setting the threshold explicitly keeps it where glibc starts (and turns off that adjustment).
"""

from __future__ import annotations

import ctypes
import logging

log = logging.getLogger("portico.memory")

M_MMAP_THRESHOLD = -3  # glibc's <malloc.h>
MMAP_THRESHOLD_BYTES = 128 * 1024


def keep_apart() -> bool:
    """Fix glibc's mmap threshold; False where the C library is not glibc (nothing to set)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    if mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) != 1:  # mallopt answers 1 on success
        log.warning("could not set malloc's mmap threshold")
        return False
    log.info("memory: blocks of %d KiB and more are mapped on their own", MMAP_THRESHOLD_BYTES // 1024)
    return True
