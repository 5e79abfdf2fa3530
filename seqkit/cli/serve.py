"""`seqkit serve DIR [DIR ...]`: the runs behind an HTTP JSON service, with a page to try them."""

from __future__ import annotations

import argparse
import dataclasses

from seqkit.errors import ConfigError


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `serve` verb."""
    from seqkit.config import add_field_flags
    from seqkit.serve.limits import Limits

    p = sub.add_parser("serve", help="serve trained runs over HTTP (JSON API and a page)",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                       description="Load each run once and answer POST /translate (NMT runs), /sample "
                       "(character LMs), /classify (classifiers) and /wmd (--vectors) with JSON, and GET "
                       "/health; /docs is the API's OpenAPI page and / a page to try the models. Requests of "
                       "concurrent clients share model calls. A run is named by its directory name (or NAME "
                       "in NAME=DIR); a request's \"model\" field picks one, by default the first of its "
                       "kind.")
    p.add_argument("runs", nargs="*", metavar="DIR", help="run directories (or NAME=DIR) of any kind")
    p.add_argument("--checkpoint", default="best", help="best, latest, or a step number, for every run")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0: every interface)")
    p.add_argument("--port", type=int, default=8000, help="TCP port (0: any free one)")
    p.add_argument("--vectors", metavar="FILE", help="word vectors for /wmd (any format `seqkit wmd` reads)")
    add_field_flags(p, Limits)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from seqkit.serve.limits import Limits

    if not 0 <= args.port <= 65535:
        raise ConfigError(f"--port must be between 0 and 65535, not {args.port}")
    limits = Limits(**{f.name: getattr(args, f.name) for f in dataclasses.fields(Limits)})
    # TensorFlow and the web stack only once the flags are known to be good
    from seqkit.serve.app import build_app
    from seqkit.serve.models import load_models
    from seqkit.serve.server import Server, bind

    app = build_app(load_models(args.runs, args.checkpoint, args.vectors), limits)
    Server(app, bind(args.host, args.port)).serve_forever()
    return 0
