"""Geometry of the server-rendered SVG charts (pyramid, matrices, Pareto curve, lifetime-value histogram).

Templates draw the shapes; this module only computes coordinates and labels, so the charts need no JavaScript and no
chart library, and tests can check the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import get_language

from .selectors import Distribution, TierBar

PALETTE = ["#1f4e9c", "#3b6fc4", "#7aa0dc", "#c3d4ef", "#e3ebf7", "#eef2f9"]


def money(value: float) -> str:
    """An amount in whole units: 12,345 in English; in Chinese 12,345 below ten thousand, then 1.2万 and 3.45亿."""
    language = (get_language() or "").lower()
    if language.startswith("zh"):
        if abs(value) >= 1e8:
            return f"{value / 1e8:.2f}亿"
        if abs(value) >= 1e4:
            return f"{value / 1e4:.1f}万"
    return f"{round(value):,}"


def grouped(value: float) -> str:
    """A count with thousands separators (1,234,567) in every language."""
    return f"{round(value):,}"


def percent(value: float) -> str:
    return f"{value * 100:.1f}%"


@dataclass
class PyramidRow:
    bar: TierBar
    color: str
    points: str  # the polygon of the pyramid band
    y: float
    height: float
    text_y: float
    customer_width: float
    amount_width: float
    margin_width: float
    url: str = ""


@dataclass
class PyramidChart:
    rows: list[PyramidRow]
    width: int
    height: int
    band_width: int
    bars_x: int
    bars_width: int


def pyramid(distribution: Distribution, *, urls: dict[str, str] | None = None) -> PyramidChart:
    """Tiers from the top as stacked bands of a triangle, each with bars for its share of customers, spend and
    margin."""
    rows: list[PyramidRow] = []
    bars = distribution.bars
    band_width, bars_x, bars_width = 300, 330, 250  # the share bars leave room for their labels
    row_height, gap = 54, 6
    n = max(len(bars), 1)
    height = n * (row_height + gap)
    for index, bar in enumerate(bars):
        top = index * (row_height + gap)
        bottom = top + row_height
        # the triangle's half width at a height, apex at the top centre of the first band
        def half(y: float) -> float:  # a truncated triangle: the top band stays wide enough for its label
            return (band_width / 2) * (0.3 + 0.7 * y / height)

        centre = band_width / 2
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in (
            (centre - half(top), top), (centre + half(top), top), (centre + half(bottom), bottom),
            (centre - half(bottom), bottom),
        ))
        rows.append(PyramidRow(
            bar=bar, color=PALETTE[min(index, len(PALETTE) - 1)], points=points, y=top, height=row_height,
            text_y=top + row_height / 2 + 5, customer_width=bars_width * bar.customer_share,
            amount_width=bars_width * bar.amount_share, margin_width=bars_width * bar.margin_share,
            url=(urls or {}).get(bar.code, ""),
        ))
    return PyramidChart(rows=rows, width=bars_x + bars_width + 130, height=height, band_width=band_width,
                        bars_x=bars_x, bars_width=bars_width)


@dataclass
class MatrixCell:
    bar: TierBar | None
    code: str
    x: float
    y: float
    size: float
    fill: str
    text_color: str
    url: str = ""


@dataclass
class MatrixChart:
    cells: list[MatrixCell]
    size: int
    x_label: str
    y_label: str
    x_cut: str
    y_cut: str


def matrix(distribution: Distribution, *, x_label: str, y_label: str, x_cut: str, y_cut: str,
           urls: dict[str, str] | None = None) -> MatrixChart:
    """The 2 × 2 quadrants: high x on the right, high y on top; the fill deepens with the share of spend."""
    cell = 200
    positions = {"LH": (0, 0), "HH": (1, 0), "LL": (0, 1), "HL": (1, 1)}
    cells = []
    for code, (column, row) in positions.items():
        bar = distribution.cell(code)
        share = bar.amount_share if bar else 0.0
        shade = int(245 - 150 * min(max(share, 0.0), 1.0) ** 0.6)
        fill = f"rgb({shade - 40},{shade - 10},{min(shade + 10, 255)})"
        cells.append(MatrixCell(bar=bar, code=code, x=60 + column * cell, y=row * cell, size=cell, fill=fill,
                                text_color="#ffffff" if shade < 170 else "#1c2433",
                                url=(urls or {}).get(code, "")))
    return MatrixChart(cells=cells, size=cell, x_label=x_label, y_label=y_label, x_cut=x_cut, y_cut=y_cut)


@dataclass
class ParetoChart:
    path: str
    width: int
    height: int
    left: int
    top: int
    plot_width: int
    plot_height: int
    marker: tuple[float, float] | None
    customers_for_80: float | None
    top_20_share: float | None
    ticks: list[tuple[float, str]] = field(default_factory=list)


def pareto(curve: dict[str, Any]) -> ParetoChart | None:
    """Cumulative share of gross margin (y) against the share of customers, best first (x)."""
    xs, ys = curve.get("customer_share") or [], curve.get("value_share") or []
    if not xs:
        return None
    left, top, plot_width, plot_height = 50, 10, 520, 260
    low = min(0.0, min(ys))
    high = max(1.0, max(ys))

    def point(x: float, y: float) -> tuple[float, float]:
        return left + x * plot_width, top + plot_height - (y - low) / (high - low) * plot_height

    path = "M " + " L ".join(f"{px:.1f},{py:.1f}" for px, py in (point(x, y) for x, y in zip(xs, ys, strict=True)))
    reach = curve.get("customers_for_80")
    marker = point(reach, 0.8) if reach is not None else None
    ticks = [(point(0, v)[1], f"{round(v * 100)}%") for v in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)]
    return ParetoChart(path=path, width=left + plot_width + 20, height=top + plot_height + 40, left=left, top=top,
                       plot_width=plot_width, plot_height=plot_height, marker=marker, customers_for_80=reach,
                       top_20_share=curve.get("top_20_share"), ticks=ticks)


@dataclass
class HistogramBar:
    x: float
    y: float
    width: float
    height: float
    count: int
    label: str


@dataclass
class HistogramChart:
    bars: list[HistogramBar]
    width: int
    height: int
    left: int
    top: int
    plot_height: int
    axis_labels: list[tuple[float, str]]
    summary: dict[str, Any]


def histogram(data: dict[str, Any]) -> HistogramChart | None:
    """Equal-width bins of lifetime value and the open bin above the 99th percentile."""
    counts = list(data.get("counts") or [])
    edges = list(data.get("edges") or [])
    if not counts:
        return None
    counts.append(int(data.get("overflow") or 0))
    left, top, plot_width, plot_height = 50, 10, 540, 220
    tallest = max(max(counts), 1)
    width = plot_width / len(counts)
    bars = []
    for index, count in enumerate(counts):
        bar_height = plot_height * count / tallest
        if index < len(counts) - 1:
            label = f"{money(edges[index])}–{money(edges[index + 1])}"
        else:
            label = f"> {money(edges[-1])}"
        bars.append(HistogramBar(x=left + index * width + 1, y=top + plot_height - bar_height, width=width - 2,
                                 height=bar_height, count=count, label=label))
    axis = [(left + i * width, money(edges[i])) for i in range(0, len(edges), 5)]
    return HistogramChart(bars=bars, width=left + plot_width + 20, height=top + plot_height + 40, left=left, top=top,
                          plot_height=plot_height, axis_labels=axis, summary=data)
