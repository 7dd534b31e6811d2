"""The report's figures: matplotlib (Agg, no display) to PNG bytes.

Each function takes plain data and returns PNG bytes; nothing here reads files.
Uses `matplotlib.figure.Figure` directly, so no global pyplot state leaks.
"""
from __future__ import annotations

import io
from typing import Sequence

import numpy as np

COLORS = ["#3b6ea8", "#e07b39", "#5a9e4b", "#b04a5a", "#7d5ba6", "#8c8c8c"]


def _figure(width: float = 7.5, height: float = 3.4):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def length_histogram(series: dict[str, np.ndarray], title: str) -> bytes:
    """Overlaid histograms of turn lengths on log-spaced bins (lengths span 1 to 10k+ chars)."""
    fig = _figure()
    ax = fig.add_subplot()
    top = max(int(v.max()) for v in series.values() if len(v)) + 1
    bins = np.unique(np.geomspace(1, max(top, 10), 50).astype(int))
    for i, (label, values) in enumerate(series.items()):
        ax.hist(np.clip(values, 1, None), bins=bins, histtype="stepfilled", alpha=0.45,
                color=COLORS[i % len(COLORS)], label=f"{label} (n={len(values):,})", edgecolor=COLORS[i % len(COLORS)])
    ax.set_xscale("log")
    ax.set_xlabel("characters per turn (log scale)")
    ax.set_ylabel("turns")
    ax.set_title(title)
    ax.legend()
    return _png(fig)


def score_histogram(values: np.ndarray, title: str, xlabel: str) -> bytes:
    fig = _figure(7.5, 3.0)
    ax = fig.add_subplot()
    ax.hist(values, bins=np.linspace(0, 1, 21), color=COLORS[0], edgecolor="white")
    ax.set_xlim(0, 1)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("records")
    ax.set_title(f"{title} (n={len(values):,})")
    return _png(fig)


def bars(labels: Sequence[str], counts: Sequence[float], title: str, xlabel: str, *, horizontal: bool = False) -> bytes:
    fig = _figure(7.5, max(2.6, 0.32 * len(labels) + 1.2) if horizontal else 3.0)
    ax = fig.add_subplot()
    if horizontal:  # long reason codes read better on the y axis, largest on top
        ax.barh(list(labels)[::-1], list(counts)[::-1], color=COLORS[3])
        ax.set_xlabel(xlabel)
    else:
        ax.bar([str(x) for x in labels], counts, color=COLORS[0])
        ax.set_xlabel(xlabel)
        ax.set_ylabel("records")
    ax.set_title(title)
    return _png(fig)


def grouped_bars(groups: Sequence[str], series: dict[str, Sequence[float]], title: str, ylabel: str) -> bytes:
    fig = _figure(7.5, 3.2)
    ax = fig.add_subplot()
    x = np.arange(len(groups))
    width = 0.8 / max(len(series), 1)
    for i, (label, values) in enumerate(series.items()):
        ax.bar(x + i * width - 0.4 + width / 2, values, width, label=label, color=COLORS[i % len(COLORS)])
    ax.set_xticks(x, list(groups))
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend()
    return _png(fig)
