"""Decoding defaults, in one place so that the CLI, the configs and the strategies agree."""

BEAM = 5  # beam width
ALPHA = 0.6  # GNMT length penalty exponent
MAX_RATIO = 2.0  # an output may be MAX_RATIO * source length + MAX_EXTRA tokens long ...
MAX_EXTRA = 10
MAX_OUTPUT = 512  # ... and never longer than this
MAX_SOURCE = 512  # longer source lines are cut to this many tokens (with a warning naming the line)
TEMPERATURE = 1.0  # sampling: 1 samples from the model as it is
TOP_K = 0  # 0: no top-k cut
TOP_P = 1.0  # 1: no nucleus cut
STOPS = ("early", "exact")  # beam stopping rules; the first is the default
