"""`seqkit evaluate`: score models and outputs.

`seqkit evaluate DIR --data FILE` scores a text under a character model (the default kind, `lm`);
other kinds are named first: `seqkit evaluate KIND ...` (each kind registers a sub-parser here).
"""

from __future__ import annotations

import argparse
import json

from seqkit.cli.common import creatable_output, decode_options, kinds_parser, verb_parser, writable_output
from seqkit.cli.translate import add_run_flags, add_search_flags, search_limits
from seqkit.errors import ConfigError
from seqkit.fileio import atomic_write_text

DEFAULT_KIND = "lm"


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `evaluate` verb and its kinds."""
    kinds = kinds_parser(sub, "evaluate", "score a model or its outputs",
                         "Score a model or its outputs. `seqkit evaluate DIR --data FILE` is "
                         "`seqkit evaluate lm DIR --data FILE`.")
    lm = verb_parser(kinds, "lm", "nats and bits per character of a text under a character model",
                     "Print the nats/char and bits/char of a text under a character model, state carried "
                     "through the whole text.")
    lm.add_argument("--data", required=True, metavar="FILE", help="UTF-8 text to score")
    lm.add_argument("--batch-size", type=int, default=64, help="parallel streams over the text")
    lm.add_argument("--seq-len", type=int, default=256, help="characters per compiled window")
    lm.set_defaults(func=run_lm)
    c = verb_parser(kinds, "classify", "accuracy, macro-F1, per-class scores and confusion of a classifier",
                    "Score a classifier on labelled data (CSV/TSV or a folder per class, read with the "
                    "run's column settings): accuracy, macro-F1, per-class precision/recall/F1 and the "
                    "confusion matrix. A label the run does not know is an error naming its line.")
    c.add_argument("--data", required=True, metavar="FILE", help="labelled data to score")
    c.add_argument("--label-column", help="label column, if not the run's")
    c.add_argument("--text-column", help="text column, if not the run's")
    c.add_argument("--plot", metavar="PNG", help="also draw the confusion matrix into this PNG file")
    c.add_argument("--json", action="store_true", help="print the scores as one JSON object")
    c.add_argument("--batch-size", type=int, default=None, help="texts per model call (default: the run's "
                   "eval_batch_size)")
    c.add_argument("--cv", type=int, default=0, metavar="K",
                   help="instead of scoring the run's model: stratified K-fold cross-validation of its "
                   "configuration on --data (each fold trained afresh on the others), mean and standard "
                   "deviation; Kim's protocol is 10")
    c.set_defaults(func=run_classify)
    b = verb_parser(kinds, "bleu", "corpus BLEU and chrF of translations (sacrebleu)",
                    "Print sacrebleu's corpus BLEU and chrF of a file of detokenized translations against "
                    "one or more reference files (one sentence a line, line-aligned), with their signatures.",
                    run_dir=False)
    b.add_argument("hyp", metavar="HYP", help="translations, one a line")
    b.add_argument("--ref", action="append", required=True, metavar="REF",
                   help="reference translations; repeat for several references")
    b.add_argument("--json", action="store_true", help="print the scores as one JSON object")
    b.set_defaults(func=run_bleu, tensorflow=False)
    n = verb_parser(kinds, "nmt", "test-set perplexity, BLEU and chrF of an NMT run",
                    "Print the perplexity of the references under the model (teacher forcing, as `seqkit "
                    "score`) and sacrebleu's corpus BLEU and chrF of the model's translations of the source "
                    "(decoded as `seqkit translate` does, same flags), with the signatures.", run_dir=False)
    add_run_flags(n)
    n.add_argument("--src", required=True, metavar="FILE", help="source sentences, one a line")
    n.add_argument("--ref", required=True, metavar="FILE", help="reference translations, line-aligned")
    n.add_argument("--output", metavar="FILE", help="also write the translations here")
    n.add_argument("--json", action="store_true", help="print the scores as one JSON object")
    add_search_flags(n)
    n.set_defaults(func=run_nmt)


def run_classify(args: argparse.Namespace) -> int:
    from seqkit.inference.classifier import evaluate_classifier
    from seqkit.metrics.classification import format_scores

    if args.cv:
        return run_cross_validation(args)
    if args.plot:
        creatable_output(args.plot)  # before the scoring, whose figures a failed plot would lose
    s = evaluate_classifier(args.run, args.data, args.checkpoint, args.label_column, args.text_column,
                            args.plot, args.batch_size)
    print(json.dumps(s) if args.json else format_scores(s))
    return 0


def run_cross_validation(args: argparse.Namespace) -> int:
    from seqkit.training.cross_validation import cross_validate, format_cross_validation

    if args.plot or args.checkpoint != "best":
        raise ConfigError("--cv trains a model per fold, so --plot and --checkpoint (of the run's one model) "
                          "do not apply")
    s = cross_validate(args.run, args.data, args.cv, args.label_column, args.text_column)
    print(json.dumps(s) if args.json else format_cross_validation(s))
    return 0


def run_lm(args: argparse.Namespace) -> int:
    from seqkit.api import evaluate

    m = evaluate(args.run, args.data, batch_size=args.batch_size, seq_len=args.seq_len,
                 checkpoint=args.checkpoint)
    print(f"nats/char {m['loss']:.4f}  bits/char {m['bpc']:.4f}  chars {m['chars']}")
    return 0


def print_bleu(s: dict, as_json: bool, head: str = "") -> None:
    """BLEU and chrF with their signatures, after `head`; or all of `s` as one JSON object."""
    if as_json:
        print(json.dumps(s))
    else:
        print(f"{head}BLEU = {s['bleu']:.2f}  chrF = {s['chrf']:.2f}\n"
              f"BLEU signature: {s['bleu_signature']}\nchrF signature: {s['chrf_signature']}")


def run_bleu(args: argparse.Namespace) -> int:
    from seqkit.metrics.bleu import score_files

    print_bleu(score_files(args.hyp, args.ref), args.json)
    return 0


def run_nmt(args: argparse.Namespace) -> int:
    from seqkit.inference.nmt_eval import evaluate_translator, read_eval_set
    from seqkit.inference.translator import load_translator

    output, options, limits = writable_output(args.output), decode_options(args), search_limits(args)
    options.strategy()  # bad options, and a bad test set, fail before the model loads
    test = read_eval_set(args.src, args.ref)
    s = evaluate_translator(load_translator(args.runs, args.checkpoint), test, options, **limits)
    translations = s.pop("translations")
    if output:
        atomic_write_text(output, "".join(line + "\n" for line in translations))
    print_bleu(s, args.json, f"ppl {s['ppl']:.4f} ({s['sentences']} sentences, {s['tokens']} tokens)  ")
    return 0
