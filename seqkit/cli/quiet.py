"""TensorFlow's start-up chatter kept off the terminal.

Importing TensorFlow and finding its devices writes C++ log lines straight to file descriptor 2, before
any Python logging exists: absl's "All log messages before absl::InitializeLog()" warning, CUDA
probing ("Could not find cuda drivers"), and on every machine without a GPU an `E0000 ... cuInit` error
that looks like a failure and is not. The verbs that use TensorFlow import it here, with descriptor 2
pointed at /dev/null for that moment only; `seqkit --verbose` (or SEQKIT_VERBOSE=1) shows it all.
"""

from __future__ import annotations

import os
import sys

VERBOSE_ENV = "SEQKIT_VERBOSE"


def import_tensorflow(verbose: bool = False) -> None:
    """Import TensorFlow and list its devices, quietly unless `verbose` or $SEQKIT_VERBOSE is set; later
    errors and warnings of TensorFlow still show (TF_CPP_MIN_LOG_LEVEL 2 unless the user set one)."""
    verbose = verbose or os.environ.get(VERBOSE_ENV, "") not in ("", "0")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "0" if verbose else "2")
    if verbose or "tensorflow" in sys.modules:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            import tensorflow as tf

            tf.config.list_physical_devices()  # device discovery: where the cuInit line comes from
    finally:
        os.dup2(saved, 2)
        os.close(saved)
