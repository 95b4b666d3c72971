"""The Room page's charts: Vega-Lite specifications and their rows, from the panels' summaries (pure).

Large dark type (a projector at the back of a room), every chart at least
260 px tall, legends whole. Names arrive as data and are only ever drawn as
text by Vega (never as Markdown or HTML).
"""

from __future__ import annotations

from patchlab.i18n import _

__all__ = ["INK", "sweep_chart", "shipped_reference", "guess_chart", "wins_chart", "spot_chart"]

INK = "#1a1a1a"
_CONFIG = {"axis": {"labelFontSize": 16, "titleFontSize": 17, "labelColor": INK, "titleColor": INK},
           "legend": {"labelFontSize": 16, "titleFontSize": 16, "labelLimit": 0, "labelColor": INK,
                      "titleColor": INK, "orient": "bottom"},
           "title": {"fontSize": 19, "color": INK, "limit": 0, "anchor": "start"}}
_FIT = {"type": "fit-x", "contains": "padding"}
_RULE_COLOURS = {"mean": "#d55e00", "product": "#0072b2", "max": "#009e73", "vote": "#cc79a7"}


def shipped_reference(report: dict | None) -> list[dict]:
    """The shipped classifiers' fused (mean) test accuracy per patch size, from the evaluation report.

    Returns rows ``{"patch size", "accuracy %", "series"}`` (empty without a report).
    """
    if not report:
        return []
    rows = []
    for size, entry in sorted(report.get("patch_sizes", {}).items(), key=lambda kv: int(kv[0])):
        test = entry.get("test") if isinstance(entry, dict) else None
        if test and "mean" in test.get("fused", {}):
            rows.append({"patch size": int(size), "accuracy %": round(100 * test["fused"]["mean"], 2),
                         "series": _("shipped models (fused, mean)")})
    return rows


def sweep_chart(sweep, shipped: list[dict]) -> tuple[list[dict], dict]:
    """The room's own sweep: every run a point (patch size, fused accuracy; colour: rule; size: budget), the
    median per patch size as a line, and the shipped models as a dashed reference line.

    Parameters
    ----------
    sweep : patchlab.room.panels.Sweep
    shipped : rows of :func:`shipped_reference`
    """
    rows = [{"layer": "run", "patch size": p.patch_size, "accuracy %": round(100 * p.accuracy, 2),
             "rule": p.rule, "budget (s)": round(p.budget_s), "steps": p.steps, "test digits": p.n_test,
             "who": p.name} for p in sweep.points]
    rows += [{"layer": "median", "patch size": size, "accuracy %": round(100 * acc, 2), "runs": n,
              "series": _("the room's median")} for size, (acc, n) in sweep.medians.items()]
    rows += [{"layer": "shipped", **r} for r in shipped]
    x = {"field": "patch size", "type": "quantitative", "title": _("patch size"), "scale": {"domain": [7, 29]},
         "axis": {"values": [8, 10, 14, 18, 22, 28]}}
    y = {"field": "accuracy %", "type": "quantitative", "title": _("fused test accuracy %"),
         "scale": {"zero": False}}
    spec = {
        "height": 300, "autosize": _FIT, "config": _CONFIG,
        "title": _("The room's training runs"),
        "layer": [
            {"transform": [{"filter": "datum.layer === 'shipped'"}],
             "mark": {"type": "line", "strokeDash": [6, 4], "strokeWidth": 2, "color": "#555555", "point": True},
             "encoding": {"x": x, "y": y, "tooltip": [{"field": "series"}, {"field": "accuracy %"}]}},
            {"transform": [{"filter": "datum.layer === 'median'"}],
             "mark": {"type": "line", "strokeWidth": 4, "color": INK, "point": {"size": 120, "color": INK}},
             "encoding": {"x": x, "y": y, "tooltip": [{"field": "series"}, {"field": "accuracy %"},
                                                      {"field": "runs"}]}},
            {"transform": [{"filter": "datum.layer === 'run'"}],
             "mark": {"type": "circle", "opacity": 0.85, "stroke": "white", "strokeWidth": 1},
             "encoding": {"x": x, "y": y,
                          "color": {"field": "rule", "type": "nominal", "title": _("fusion rule"),
                                    "scale": {"domain": list(_RULE_COLOURS), "range": list(_RULE_COLOURS.values())}},
                          "size": {"field": "budget (s)", "type": "quantitative", "title": _("budget (s)"),
                                   "scale": {"range": [80, 500]}},
                          "tooltip": [{"field": "who"}, {"field": "patch size"}, {"field": "accuracy %"},
                                      {"field": "rule"}, {"field": "budget (s)"}, {"field": "steps"},
                                      {"field": "test digits"}]}},
        ],
    }
    return rows, spec


def guess_chart(tally) -> tuple[list[dict], dict]:
    """One question's guesses as bars, the true answer (once revealed) in colour and the others grey."""
    truth = (tally.revealed or "").strip().casefold()
    rows = [{"answer": answer, "participants": n, "right": bool(truth) and answer.strip().casefold() == truth}
            for answer, n in tally.counts]
    spec = {"height": 260, "autosize": _FIT, "config": _CONFIG,
            "mark": {"type": "bar"},
            "encoding": {"x": {"field": "answer", "type": "nominal", "sort": None, "title": None,
                               "axis": {"labelAngle": 0, "labelLimit": 200}},
                         "y": {"field": "participants", "type": "quantitative", "title": _("participants"),
                               "axis": {"tickMinStep": 1}},
                         "color": {"condition": {"test": "datum.right", "value": "#009e73"}, "value": "#8a8a8a"},
                         "tooltip": [{"field": "answer"}, {"field": "participants"}]}}
    return rows, spec


def wins_chart(rows_in, labels: dict) -> tuple[list[dict], dict]:
    """"Which method won in this room": wins per method (bars), its median masked PSNR in the tooltip."""
    rows = [{"method": labels.get(r.method, r.method), "wins": r.wins, "fills": r.fills,
             "median PSNR (dB)": round(r.median_psnr, 2)} for r in rows_in]
    spec = {"height": 260, "autosize": _FIT, "config": _CONFIG,
            "mark": {"type": "bar", "color": "#0072b2"},
            "encoding": {"y": {"field": "method", "type": "nominal", "sort": "-x", "title": None,
                               "axis": {"labelLimit": 320}},
                         "x": {"field": "wins", "type": "quantitative", "title": _("fills won"),
                               "axis": {"tickMinStep": 1}},
                         "tooltip": [{"field": "method"}, {"field": "wins"}, {"field": "fills"},
                                     {"field": "median PSNR (dB)"}]}}
    return rows, spec


def spot_chart(rates, labels: dict) -> tuple[list[dict], dict]:
    """*Spot the fill*: how often each method fooled the room, with its 95 % interval."""
    rows = [{"method": labels.get(r.method, r.method), "fooled %": round(100 * r.rate, 1),
             "low": round(100 * r.low, 1), "high": round(100 * r.high, 1), "rounds": r.rounds} for r in rates]
    y = {"field": "method", "type": "nominal", "title": None, "axis": {"labelLimit": 320}}
    spec = {"height": 260, "autosize": _FIT, "config": _CONFIG,
            "layer": [
                {"mark": {"type": "bar", "color": "#cc79a7"},
                 "encoding": {"y": y, "x": {"field": "fooled %", "type": "quantitative", "title": _("fooled the room %"),
                                            "scale": {"domain": [0, 100]}},
                              "tooltip": [{"field": "method"}, {"field": "fooled %"}, {"field": "low"},
                                          {"field": "high"}, {"field": "rounds"}]}},
                {"mark": {"type": "rule", "color": INK, "strokeWidth": 2},
                 "encoding": {"y": y, "x": {"field": "low", "type": "quantitative"}, "x2": {"field": "high"}}},
            ]}
    return rows, spec
