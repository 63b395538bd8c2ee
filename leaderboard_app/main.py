"""Streamlit entry script: ``streamlit run main.py -- --results-dir DIR`` (see :func:`run_app`).

Sets up the page, reads the results directory once per rerun (cached), shows skipped files as a
warning on every page, and dispatches to the pages.
"""

from __future__ import annotations

import argparse
import os
import sys

import streamlit as st

from elastic_bench.leaderboard_app.cache import get_leaderboard
from elastic_bench.leaderboard_app.data import RESULTS_ENV
from elastic_bench.leaderboard_app.views import (
    baselines,
    compare,
    cost,
    leaderboard,
    models,
    queue,
    samples,
    upload,
)
from elastic_bench.leaderboard_app.views.common import results_dir, show_skipped


def _parse_args(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--results-dir", default=None)
    args, _ = parser.parse_known_args(argv)
    if args.results_dir:
        os.environ[RESULTS_ENV] = args.results_dir


def _leaderboard() -> None:
    leaderboard.render()


def main() -> None:
    """Run one rerun of the app."""
    _parse_args(sys.argv[1:])
    st.set_page_config(
        page_title="elastic-bench leaderboard", page_icon=":material/monitoring:", layout="wide"
    )
    pages = [
        st.Page(leaderboard.render, title="Leaderboard", icon=":material/leaderboard:", default=True),
        # the same page under its own path too, so a /leaderboard link opens it
        st.Page(_leaderboard, title="Leaderboard", url_path="leaderboard", visibility="hidden"),
        st.Page(baselines.render, title="Baselines", icon=":material/compare:", url_path="baselines"),
        st.Page(compare.render, title="Compare", icon=":material/difference:", url_path="compare"),
        st.Page(cost.render, title="Cost", icon=":material/payments:", url_path="cost"),
        st.Page(models.render, title="Model", icon=":material/memory:", url_path="model"),
        st.Page(samples.render, title="Samples", icon=":material/article:", url_path="samples"),
        st.Page(upload.render, title="Submit", icon=":material/upload:", url_path="submit"),
        st.Page(queue.render, title="Queue", icon=":material/pending_actions:", url_path="queue"),
    ]
    page = st.navigation(pages, position="top")
    show_skipped(get_leaderboard(results_dir()))
    page.run()


main()
