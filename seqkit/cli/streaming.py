"""Line-at-a-time mode (`seqkit translate DIR -`, `seqkit classify DIR -`): each line of standard input is
answered as soon as it arrives, so that a verb can sit in a pipe or a shell session with its model loaded.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from seqkit.data.text import decode_utf8

STDIN = "-"


def stream_lines(answer: Callable[[str, int], str]) -> int:
    """Write answer(line, its 1-based number) for each line of standard input and flush it before the
    next line is read (a pipe's stdout is block-buffered otherwise); end of input ends the loop."""
    if sys.stdin.isatty():
        print("reading one line at a time; Ctrl-D ends", file=sys.stderr)
    offset = 0
    for number, raw in enumerate(iter(sys.stdin.buffer.readline, b""), 1):
        line = decode_utf8(raw.removesuffix(b"\n").removesuffix(b"\r"), "standard input", offset, number)
        offset += len(raw)
        sys.stdout.write(answer(line, number))
        sys.stdout.flush()
    return 0
