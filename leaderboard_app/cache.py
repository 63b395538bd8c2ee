"""Streamlit caching around :mod:`.data`: keyed on the directory's (path, mtime, size) stamps.

A warm rerun costs one ``os.walk`` + ``stat`` per file and a cache lookup; a changed, added or
removed file changes the stamps, so the app picks it up on the next rerun without a restart.
The stamps enter the key as one digest (Streamlit hashing a tuple of 1,000 stamps costs more than the
rest of a warm rerun), and the parsed directory and its rankings are shared, not copied, between
reruns and sessions (:func:`st.cache_resource`): the pages only read them.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import streamlit as st

from elastic_bench.harness.results import ResultFile
from elastic_bench.leaderboard_app.data import (
    LeaderboardData,
    Stamp,
    load_entry,
    load_leaderboard,
    scan_results,
)
from elastic_bench.leaderboard_app.ranking import ranking_table
from elastic_bench.leaderboard_app.samples import line_offsets


def _digest(stamps: tuple[Stamp, ...]) -> str:
    return hashlib.sha256(repr(stamps).encode("utf-8")).hexdigest()


@st.cache_resource(show_spinner=False, max_entries=4)
def _leaderboard(results_dir: str, digest: str, _stamps: tuple[Stamp, ...]) -> LeaderboardData:
    return load_leaderboard(results_dir, _stamps)


def get_leaderboard(results_dir: str | Path) -> LeaderboardData:
    """The parsed results directory (read-only: shared between sessions), recomputed only when a file's
    mtime or size changed."""
    stamps = scan_results(results_dir)
    return _leaderboard(str(results_dir), _digest(stamps), stamps)


@st.cache_resource(show_spinner=False, max_entries=32)
def _ranking(
    results_dir: str, digest: str, benchmark: str, budget: str, _stamps: tuple[Stamp, ...]
) -> pd.DataFrame:
    data = _leaderboard(results_dir, digest, _stamps)
    return ranking_table(data.entries, data.points, data.problems, benchmark, budget)


def get_ranking(results_dir: str | Path, benchmark: str, budget: str) -> pd.DataFrame:
    """The ranking of every entry of a benchmark at a budget (:func:`ranking_table`; read-only: shared),
    recomputed only when the results directory changed."""
    stamps = scan_results(results_dir)
    return _ranking(str(results_dir), _digest(stamps), benchmark, budget, stamps)


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
