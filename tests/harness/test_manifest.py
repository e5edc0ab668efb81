"""The manifest file `authstage up` leaves for `token`/`explain`/`browser`, and how they find a running stack."""

from __future__ import annotations

import json
import stat

import pytest

from harness import AuthstageError
from harness._manifest import manifest_path, remove_manifest, running_manifest, write_manifest


def test_written_owner_only_and_removed_only_while_it_is_this_stacks(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("AUTHSTAGE_HOME", str(tmp_path / "home"))
    mine = {"services": {"idp": {"url": "http://127.0.0.1:1"}}}
    path = write_manifest(mine)
    assert path == manifest_path() == tmp_path / "home" / "manifest.json"
    assert json.loads(path.read_text()) == mine and stat.S_IMODE(path.stat().st_mode) == 0o600
    path.write_text(json.dumps({"services": {"idp": {"url": "http://127.0.0.1:2"}}}))  # another stack since
    remove_manifest(path, mine)
    assert path.exists()
    path.write_text(json.dumps(mine))
    remove_manifest(path, mine)
    assert not path.exists()


def test_no_running_stack(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("AUTHSTAGE_HOME", str(tmp_path))
    assert running_manifest(None) is None
    with pytest.raises(AuthstageError, match="no running stack answers for manifest"):
        running_manifest(str(tmp_path / "other.json"))
