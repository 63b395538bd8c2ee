"""Exports: figures as PNG (kaleido + a local Chromium) with a standalone-HTML fallback, tables as CSV."""

from __future__ import annotations

import os

import pandas as pd
import plotly.graph_objects as go

from elastic_bench.leaderboard_app.launch import find_chromium


def png_available() -> bool:
    """Whether kaleido is importable and a Chromium-family browser is present for it to drive."""
    try:
        import kaleido  # noqa: F401
    except ImportError:
        return False
    if os.environ.get("BROWSER_PATH"):
        return True
    return find_chromium() is not None


def figure_png(fig: go.Figure, width: int = 1100, height: int = 600, scale: float = 2.0) -> bytes:
    """The figure as PNG bytes (needs kaleido and Chromium; runs offline)."""
    if not os.environ.get("BROWSER_PATH") and (chromium := find_chromium()):
        os.environ["BROWSER_PATH"] = chromium
    return fig.to_image(format="png", width=width, height=height, scale=scale)


def figure_html(fig: go.Figure) -> str:
    """The figure as a self-contained interactive HTML page (plotly.js inlined: works offline)."""
    return fig.to_html(include_plotlyjs=True, full_html=True)


def figure_export(fig: go.Figure) -> tuple[bytes | str, str, str]:
    """(data, file extension, mime type): PNG when possible, otherwise HTML."""
    if png_available():
        try:
            return figure_png(fig), "png", "image/png"
        except Exception:  # noqa: BLE001 - fall back to HTML whenever the PNG renderer fails
            pass
    return figure_html(fig), "html", "text/html"


def table_csv(table: pd.DataFrame) -> bytes:
    """A table as UTF-8 CSV; cells starting with formula characters are quoted with ' (CSV injection)."""
    safe = table.copy()
    for col in safe.columns:
        if safe[col].dtype == object or pd.api.types.is_string_dtype(safe[col]):
            safe[col] = safe[col].map(
                lambda v: "'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r") else v
            )
    return safe.to_csv(index=False).encode("utf-8")
