"""Streamlit caching around :mod:`.data`: keyed on the directory's (path, mtime, size) stamps.

A warm rerun costs one ``os.walk`` + ``stat`` per file and a cache lookup; a changed, added or
removed file changes the stamps, so the app picks it up on the next rerun without a restart.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from elastic_bench.harness.results import ResultFile
from elastic_bench.leaderboard_app.data import (
    LeaderboardData,
    Stamp,
    load_entry,
    load_leaderboard,
    scan_results,
)
from elastic_bench.leaderboard_app.samples import line_offsets


@st.cache_data(show_spinner=False, max_entries=4)
def _leaderboard(results_dir: str, stamps: tuple[Stamp, ...]) -> LeaderboardData:
    return load_leaderboard(results_dir, stamps)


def get_leaderboard(results_dir: str | Path) -> LeaderboardData:
    """The parsed results directory, recomputed only when a file's mtime or size changed."""
    return _leaderboard(str(results_dir), scan_results(results_dir))


@st.cache_data(show_spinner=False, max_entries=64)
def _entry(results_dir: str, entry: str, mtime_ns: int) -> ResultFile:
    return load_entry(results_dir, entry)


def get_entry(results_dir: str | Path, entry: str) -> ResultFile:
    """The full result file of an entry (cached per mtime)."""
    mtime = (Path(results_dir) / entry).stat().st_mtime_ns
    return _entry(str(results_dir), entry, mtime)


@st.cache_data(show_spinner=False, max_entries=32)
def _offsets(path: str, mtime_ns: int, size: int) -> list[int]:
    return line_offsets(path)


def get_line_offsets(path: str | Path) -> list[int]:
    """Byte offsets of the records of a samples file (cached per mtime and size)."""
    st_ = Path(path).stat()
    return _offsets(str(path), st_.st_mtime_ns, st_.st_size)
