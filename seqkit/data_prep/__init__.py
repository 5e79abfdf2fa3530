"""One recipe per corpus: fetch (URL + sha256), clean, split, write plain text files.

Each recipe module exposes `prepare(out_dir, from_file=None, cache=None) -> dict[str, Path]`; the
files it writes are what `seqkit train` reads, so training never needs the network.
"""
