"""Training curves: the train and validation records of runs' metrics.jsonl, as series and as one figure
(a panel per metric, a colour per run, dashed for training and solid for validation)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from seqkit.errors import CheckpointError, ConfigError
from seqkit.fileio import atomic_write

# The metrics drawn by default, in panel order, where a run logs them: char LMs log loss and bpc, NMT
# loss, ppl, bleu and chrf, classifiers loss, accuracy and macro_f1.
PANELS = ("loss", "bpc", "ppl", "bleu", "chrf", "accuracy", "macro_f1")
X_AXES = ("step", "time")
SPLITS = {"train": "--", "valid": "-"}  # line style per split
TIME_UNITS = ((120, "s", 1), (7200, "min", 60), (float("inf"), "h", 3600))  # (span below, unit, seconds)


@dataclass(frozen=True)
class Series:
    """One line of the figure: a run's metric on one split."""

    run: str
    split: str
    metric: str
    x: tuple[float, ...]
    y: tuple[float, ...]


def read_records(run: str | Path) -> list[dict]:
    """The records of a run's metrics.jsonl; a last line cut short (a run still writing it) is left out."""
    path = Path(run) / "metrics.jsonl"
    if not Path(run).is_dir():
        raise CheckpointError(f"{run}: no such run directory")
    if not path.is_file():
        raise CheckpointError(f"{run}: no metrics.jsonl; is it a run directory written by `seqkit train`?")
    lines = path.read_text(encoding="utf-8").splitlines()
    records = []
    for n, line in enumerate(lines, 1):
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            if n < len(lines):
                raise CheckpointError(f"{path} line {n} is not a JSON record") from None
    if not records:
        raise CheckpointError(f"{path} is empty: the run has not logged a step yet")
    return records


def training_rate(run: str | Path, unit: str, skip: int = 0) -> float:
    """Mean `unit`s per second (chars, tokens, examples) over a run's logged training windows, the first
    `skip` left out (the first window holds the tracing of the step)."""
    rates = [r[f"{unit}_per_s"] for r in read_records(run) if r["split"] == "train"][skip:]
    if not rates:
        raise CheckpointError(f"{run}: no training window logged yet (train longer or lower --log-every)")
    return sum(rates) / len(rates)


def run_labels(runs: Sequence[str | Path]) -> list[str]:
    """Legend names: each run's folder name, with its parent's where two runs share a name."""
    names = [Path(r).resolve().name for r in runs]
    return [f"{Path(r).resolve().parent.name}/{name}" if names.count(name) > 1 else name
            for r, name in zip(runs, names)]


def time_unit(span: float) -> tuple[str, float]:
    """(unit name, seconds per unit) that keeps a time axis of `span` seconds readable."""
    return next((name, seconds) for below, name, seconds in TIME_UNITS if span < below)


def positions(records: dict[str, list[dict]], x: str) -> tuple[dict[str, list[float]], str]:
    """Each record's place on the x axis, per run, and the axis label: its step, or the wall-clock time
    since the run's first record."""
    if x == "step":
        return {label: [r["step"] for r in rs] for label, rs in records.items()}, "step"
    elapsed = {label: [r["wall_time"] - rs[0]["wall_time"] for r in rs] for label, rs in records.items()}
    unit, per_unit = time_unit(max(max(ts) for ts in elapsed.values()))
    return {label: [t / per_unit for t in ts] for label, ts in elapsed.items()}, f"time ({unit})"


def collect(runs: Sequence[str | Path], x: str = "step", metrics: Sequence[str] | None = None
            ) -> tuple[list[Series], str]:
    """(the series of each run, metric and split; the x axis label). x is 'step' or 'time'; `metrics`
    defaults to those of PANELS the runs log."""
    if x not in X_AXES:
        raise ConfigError(f"--x must be one of {', '.join(X_AXES)}, not {x!r}")
    records = {label: read_records(run) for label, run in zip(run_labels(runs), runs)}
    logged = {k for rs in records.values() for r in rs for k, v in r.items()
              if isinstance(v, (int, float)) and k not in ("step", "wall_time")}
    chosen = list(metrics) if metrics else [m for m in PANELS if m in logged]
    missing = [m for m in chosen if m not in logged]
    if missing or not chosen:
        raise ConfigError(f"no run logs {', '.join(missing) or 'any of ' + ', '.join(PANELS)}; they log "
                          f"{', '.join(sorted(logged))}")
    if x == "time":  # records of an older seqkit have no wall_time
        records = {label: [r for r in rs if "wall_time" in r] for label, rs in records.items()}
        for run, rs in zip(runs, records.values()):
            if not rs:
                raise CheckpointError(f"{run}: its metrics.jsonl has no wall_time (written by an older "
                                      "seqkit); plot it against --x step")
    xs, xlabel = positions(records, x)
    series = []
    for metric in chosen:  # in panel order
        for label, rs in records.items():
            for split in SPLITS:
                points = [(at, r[metric]) for at, r in zip(xs[label], rs)
                          if r.get("split") == split and metric in r]
                if points:
                    series.append(Series(label, split, metric, *map(tuple, zip(*points))))
    return series, xlabel


def draw(series: Sequence[Series], xlabel: str):
    """A matplotlib Figure: one panel per metric, in the order of `series`; the legend names the runs."""
    import matplotlib

    matplotlib.use("Agg")  # files only: no display needed
    import matplotlib.pyplot as plt

    metrics = list(dict.fromkeys(s.metric for s in series))
    runs = list(dict.fromkeys(s.run for s in series))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    fig, axes = plt.subplots(len(metrics), 1, squeeze=False, sharex=True, figsize=(8, 1 + 2.6 * len(metrics)))
    for ax, metric in zip(axes[:, 0], metrics):
        for s in (s for s in series if s.metric == metric):
            ax.plot(s.x, s.y, SPLITS[s.split], color=colors[runs.index(s.run) % len(colors)],
                    marker="o" if s.split == "valid" else None, markersize=3, label=f"{s.run} {s.split}")
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    axes[-1, 0].set_xlabel(xlabel)
    fig.tight_layout()
    return fig


def plot_curves(runs: Sequence[str | Path], out: str | Path, x: str = "step",
                metrics: Sequence[str] | None = None) -> list[Series]:
    """Write the runs' curves (see collect) to the PNG `out`, atomically; returns the series drawn."""
    series, xlabel = collect(runs, x, metrics)
    fig = draw(series, xlabel)
    import matplotlib.pyplot as plt  # after draw chose the Agg backend

    atomic_write(out, lambda tmp: fig.savefig(tmp, format="png", dpi=120))
    plt.close(fig)
    return series
