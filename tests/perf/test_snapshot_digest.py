"""The snapshot digest is computed once per snapshot and stays the digest of its canonical bytes."""

from __future__ import annotations

import hashlib
from dataclasses import replace

from linkready.serde import to_data
from linkready.snapshot import canonical_json, dumps, loads
from tests.builders.reports import demo_snapshot


def test_digest_is_cached_on_the_snapshot_and_matches_the_canonical_bytes() -> None:
    snapshot = replace(demo_snapshot())  # a fresh object: nothing cached yet
    assert "digest" not in vars(snapshot)
    first = snapshot.digest
    assert vars(snapshot)["digest"] is first  # stored: later formats do not rebuild the canonical JSON
    assert snapshot.digest is first
    assert first == "sha256:" + hashlib.sha256(canonical_json(to_data(snapshot)).encode()).hexdigest()
    assert loads(dumps(snapshot)).digest == first


def test_a_loaded_snapshot_carries_the_digest_of_its_canonical_bytes_without_serialising_again() -> None:
    text = dumps(demo_snapshot())
    loaded = loads(text)
    assert "digest" in vars(loaded)  # seeded by loads from the bytes it had already canonicalised
    assert loaded.digest == replace(loaded).digest  # ... and equal to what to_data() gives


def test_a_changed_snapshot_gets_its_own_digest() -> None:
    snapshot = demo_snapshot()
    changed = replace(snapshot, tool_version=snapshot.tool_version + "+1")
    assert changed.digest != snapshot.digest
