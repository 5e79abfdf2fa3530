"""Attention matrices of chosen translations: saved as arrays and drawn as heatmaps (matplotlib)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from seqkit.data.vocab import EOS
from seqkit.errors import DataError
from seqkit.fileio import atomic_write


def export_alignments(translator, lines: Sequence[str], translations: Sequence[str], numbers: Sequence[int],
                      png: str | Path) -> Path:
    """Write the attention of input lines `numbers` (1-based) over their translations: PNG + PNG.npz."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for n in numbers:
        if not 1 <= n <= len(lines) or not lines[n - 1].strip() or not translations[n - 1].strip():
            raise DataError(f"--align-lines: input line {n} is missing or empty (the input has {len(lines)} "
                            "lines)")
    mats = {f"line{n}": translator.attention(lines[n - 1], translations[n - 1]) for n in numbers}
    fig, axes = plt.subplots(len(numbers), 1, squeeze=False, figsize=(8, 6 * len(numbers)))
    for ax, n in zip(axes[:, 0], numbers):
        weights = mats[f"line{n}"]
        ax.imshow(weights, cmap="Greys", aspect="auto", vmin=0, vmax=1)
        ax.set_xticks(range(weights.shape[1]), translator.src.pieces(translator.src.encode(lines[n - 1])),
                      rotation=90)
        ax.set_yticks(range(weights.shape[0]),
                      [*translator.tgt.pieces(translator.tgt.encode(translations[n - 1])), EOS])
        ax.set_title(f"line {n}")
    fig.tight_layout()
    png = Path(png)
    atomic_write(png, lambda tmp: fig.savefig(tmp, format="png"))
    plt.close(fig)
    atomic_write(f"{png}.npz", lambda tmp: np.savez(open(tmp, "wb"), **mats))
    return png
