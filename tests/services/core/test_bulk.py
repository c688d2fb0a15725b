"""Many rows at the driver's own speed: the ids it makes (the inserts are exercised by the outbox, audit and
reminder tests on both databases)."""

from __future__ import annotations

import uuid

from services.core import bulk


def test_ids_made_in_bulk_are_random_version_4_uuids():
    ids = bulk.new_ids(1000)
    assert len(set(ids)) == 1000
    assert {(i.version, i.variant) for i in ids} == {(4, uuid.RFC_4122)}
    assert bulk.new_ids(0) == []
