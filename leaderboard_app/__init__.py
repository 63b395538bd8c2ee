"""The Streamlit leaderboard: accuracy-vs-tokens curves, AES/AUC tables, Pareto frontier, model pages,
sample browser and the upload page. ``run_app(results_dir, port=...)`` starts it (``elastic-bench app``).

Importing this package does not import Streamlit; the pages live in :mod:`.views`, the entry
script is ``main.py``.
"""

from __future__ import annotations

from elastic_bench.leaderboard_app.launch import app_command, run_app, start_app

__all__ = ["app_command", "run_app", "start_app"]
