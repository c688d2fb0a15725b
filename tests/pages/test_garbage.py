"""What a page leaves for Python's cyclic collector, and how `serve` keeps that collector from stalling it.

`element_cleanup`: a deleted element keeps no change handler that points back at its own collections, so a
closed page's elements are freed as soon as nothing refers to them, without a full collection.
`collector.tune`: `serve` alone freezes what its start-up made out of later collections, and keeps large blocks in
mappings of their own (`large_blocks`).
"""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

from nicegui.testing.user import User

from portal_app import collector, element_cleanup
from tests.support.factories import make_world
from tests.support.pages import signed_in


async def test_a_closed_pages_elements_are_freed_without_the_cyclic_collector(user: User) -> None:
    world = await make_world("acme")
    await signed_in(user, world.owner_email)
    await user.open(f"/projects/{world.project.id}")
    page = user.client
    assert page is not None
    elements = list(page.elements.values())
    assert len(elements) > 100  # a real page, with its header, drawer, board and sections
    page.delete()
    assert all(e.is_deleted for e in elements)
    for element in elements:
        for observed in (element._classes, element._style, element._props):
            assert observed._change_handlers == [], element
    # None of its elements holds itself through its collections any more: each is freed by its reference count.
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        kinds = {type(e) for e in elements}
        del elements
        gc.collect()
        left = [o for o in gc.garbage if type(o) in kinds]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert len(left) < 20, f"{len(left)} elements needed the cyclic collector"
    assert element_cleanup._original is not None  # installed by the app build


def test_only_serve_freezes_its_start_up(monkeypatch) -> None:
    """The tests' processes build the app too; their collector is left as Python sets it. `serve` freezes what
    start-up made (after collecting its leftovers)."""
    assert gc.get_freeze_count() == 0
    calls: list[str] = []
    monkeypatch.setattr(collector.gc, "collect", lambda: calls.append("collect"))
    monkeypatch.setattr(collector.gc, "freeze", lambda: calls.append("freeze"))
    collector.tune()
    assert calls == ["collect", "freeze"]


_LARGE_BLOCK_PROBE = """
import ctypes, sys
from portal_app import large_blocks

class Info(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = Info
if sys.argv[1] == "fixed":
    assert large_blocks.keep_apart()
freed = bytearray(4 << 20)  # a 4 MiB block, mapped; freeing it raises glibc's own threshold past 4 MiB
del freed
mapped_before = libc.mallinfo2().hblkhd
block = bytearray(512 << 10)
print(libc.mallinfo2().hblkhd - mapped_before >= 512 << 10)
"""


def test_serve_gives_large_blocks_mappings_of_their_own_after_a_larger_one_was_freed() -> None:
    """portal_app/large_blocks.py: glibc, left alone, cuts a 512 KiB block from its heap once a 4 MiB one was freed
    (the heap then keeps the space); with the threshold fixed, the block is mapped on its own again."""
    root = Path(__file__).resolve().parents[2]

    def mapped(mode: str) -> bool:
        run = subprocess.run(
            [sys.executable, "-c", _LARGE_BLOCK_PROBE, mode], cwd=root, capture_output=True, text=True, check=True
        )
        return run.stdout.strip() == "True"

    assert not mapped("glibc's own")
    assert mapped("fixed")
