"""``serve --workers N`` reads the store without RocksDB's lock, so it and a writer lock
each other out (a load beside it used to succeed, leaving the servers on old data or
reading files the load had removed)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from sanctiongraph.resources import demo_world_dir
from sanctiongraph.store import StoreError
from sanctiongraph.store.oxigraph import OxigraphStore, hold_lock

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="flock")


def test_a_writer_is_refused_while_the_store_is_served_read_only(tmp_path):
    OxigraphStore(tmp_path).close()
    served = hold_lock(tmp_path, shared=True)
    try:
        with pytest.raises(StoreError, match=r"is being read \(sanctiongraph serve --workers N"):
            OxigraphStore(tmp_path)
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "sanctiongraph.cli",
                "load",
                str(demo_world_dir()),
                "--store",
                str(tmp_path),
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith("error: the store at ") and "Traceback" not in result.stderr
        OxigraphStore(tmp_path, read_only=True).close()  # readers are welcome
    finally:
        os.close(served)
    OxigraphStore(tmp_path).close()  # and writers again once the server is gone


def test_the_server_is_refused_while_a_writer_has_the_store(tmp_path):
    writer = OxigraphStore(tmp_path)
    try:
        with pytest.raises(StoreError, match="open for writing elsewhere"):
            hold_lock(tmp_path, shared=True)
    finally:
        writer.close()
    os.close(hold_lock(tmp_path, shared=True))
