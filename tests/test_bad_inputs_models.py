"""Bad input to the model verbs: train char-lm | cnn-sentiment | nmt, sample, evaluate (lm, classify, nmt),
classify, translate, score, export and average. Each case exits 2 with one line that names the file (and
line), the flag or the value, without a traceback, and leaves runs and output files as they were.

Cases that fail before a model loads cost nothing; the rest reuse the session's runs (tests/conftest.py),
copied once per kind of damage. Cases other files cover already are left out: the char-LM data errors
(test_cli, test_run_lifecycle), --nbest > --beam and mismatched `train nmt` files (test_nmt_cli), score's
mismatched and blank lines (test_use_runs), unknown labels and missing columns (test_classifier).
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from test_cli import one_line_error
from test_nmt_cli import run_cli

from seqkit import api
from seqkit.cli.main import main

LATIN1 = b"good line\ncaf\xe9 au lait\n"  # byte 13 (line 2) is not UTF-8
TEXTS = ["great film", "awful plot", "the actor was excellent"]


def truncate(run: Path) -> None:
    for ckpt in (run / "checkpoints").glob("ckpt-*.h5"):
        ckpt.write_bytes(ckpt.read_bytes()[:300])


def garble(run: Path) -> None:
    """Overwrite bytes past the HDF5 superblock: the file opens, its objects do not read."""
    for ckpt in (run / "checkpoints").glob("ckpt-*.h5"):
        data = bytearray(ckpt.read_bytes())
        data[2000::97] = bytes((i * 31) % 256 for i in range(len(data[2000::97])))
        ckpt.write_bytes(bytes(data))


def edit_config(run: Path, *edits: tuple[str, str]) -> None:
    config = run / "config.yaml"
    text = config.read_text()
    for old, new in edits:
        text = text.replace(old, new)
    config.write_text(text)


DAMAGES = {  # a copy of each session run per damage; "resized": a config of sizes its checkpoints lack
    "truncated": truncate,
    "garbled": garble,
    "yaml": lambda run: (run / "config.yaml").write_text("kind: [nmt\n  : :\n"),
    "field": lambda run: edit_config(run, ("seed: 1\n", "seed: 1\ncolour: blue\n")),
    "resized": lambda run: edit_config(run, ("units: 32\n", "units: 36\n"), ("maps: 16\n", "maps: 20\n")),
    "best": lambda run: (run / "checkpoints" / "best.json").write_text(""),
}


@pytest.fixture(scope="module")
def names(tmp_path_factory, char_run, classifier_run, nmt_run, toy_parallel) -> dict[str, str]:
    """Placeholders of the case tables: the session's runs and data, bad files, and damaged run copies
    (`{FAMILY_DAMAGE}`, e.g. {nmt_truncated})."""
    d = tmp_path_factory.mktemp("bad_inputs")
    files = {"empty": b"", "blank": b"  \n\t\n\n", "latin1": LATIN1, "utf16": "uno dos\n".encode("utf-16"),
             "afile": b"x\n", "two": b"uno\ndos\n", "three": b"uno\ndos\ntres\n", "gap": b"uno\n\ndos\n",
             "left": b"uno\n \n", "right": b" \ndos\n",
             "one_class.csv": b"label,text\n" + b"positive,great film\n" * 8,
             "rare.csv": b"label,text\n" + b"positive,great film\nnegative,awful plot\n" * 6 + b"meh,so so\n",
             "no_text.csv": b"label,text\npositive, \nnegative,\n",
             "no_column.csv": b"label,words\npositive,great\n",
             "unseen.csv": b"label,text\npositive,great\nmeh,so so\n"}
    found = {"nothing": "", "missing": str(d / "missing"), "dir": str(d / "folder"),
             "char": str(char_run), "clf": str(classifier_run), "nmt": str(nmt_run),
             "text": str(char_run.parent / "text.txt"), "train_csv": str(classifier_run.parent / "train.csv"),
             **{k.replace(".", "_"): str(v) for k, v in toy_parallel.items()}}
    (d / "folder").mkdir()
    for name, data in files.items():
        (d / name).write_bytes(data)
        found[name.replace(".", "_")] = str(d / name)
    for family, run in (("char", char_run), ("clf", classifier_run), ("nmt", nmt_run)):
        for damage, spoil in DAMAGES.items():
            copy = d / f"{family}_{damage}"
            shutil.copytree(run, copy)
            spoil(copy)
            found[copy.name] = str(copy)
    return found


FILES = [  # missing, a folder, empty, blank, not UTF-8, UTF-16, per verb that reads a file
    ("train char-lm --data {missing} --run {new}", "{missing}: no such file"),
    ("train char-lm --data {dir} --run {new}", "{dir}: is a directory"),
    ("train char-lm --data {blank} --run {new}", "{blank}: the file is empty"),
    ("train char-lm --data {text} --valid {utf16} --run {new}", "{utf16}: the file is UTF-16"),
    ("evaluate {char} --data {missing}", "{missing}: no such file"),
    ("evaluate {char} --data {dir}", "{dir}: is a directory"),
    ("evaluate {char} --data {empty}", "{empty}: the file is empty"),
    ("evaluate {char} --data {latin1}", "{latin1}: byte 13 (line 2) is not valid UTF-8"),
    ("evaluate {char} --data {utf16}", "{utf16}: the file is UTF-16"),
    ("train cnn-sentiment --train {missing} --run {new}", "{missing}: no such file"),
    ("train cnn-sentiment --train {dir} --run {new}", "{dir}: no class folders"),
    ("train cnn-sentiment --train {empty} --run {new}", "{empty}: the file is empty"),
    ("train cnn-sentiment --train {blank} --run {new}", "{blank} line 1: no column 'label', 'text'"),
    ("train cnn-sentiment --train {latin1} --run {new}", "{latin1}: byte 13 (line 2) is not valid UTF-8"),
    ("train cnn-sentiment --train {train_csv} --valid {utf16} --run {new}", "{utf16}: the file is UTF-16"),
    ("classify {clf} --input {missing}", "{missing}: no such file"),
    ("classify {clf} --input {dir}", "{dir}: is a directory"),
    ("classify {clf} --input {empty}", "{empty}: nothing to classify"),
    ("classify {clf} --input {blank}", "{blank} line 1: the text is empty"),
    ("classify {clf} --input {latin1}", "{latin1}: byte 13 (line 2) is not valid UTF-8"),
    ("classify {clf} --input {utf16}", "{utf16}: the file is UTF-16"),
    ("evaluate classify {clf} --data {missing}", "{missing}: no such file"),
    ("evaluate classify {clf} --data {empty}", "{empty}: the file is empty"),
    ("evaluate classify {clf} --data {utf16}", "{utf16}: the file is UTF-16"),
    ("train nmt --src {missing} --tgt {train_en} --run {new}", "{missing}: no such file"),
    ("train nmt --src {dir} --tgt {train_en} --run {new}", "{dir}: is a directory"),
    ("train nmt --src {train_es} --tgt {empty} --run {new}", "{empty}: the file is empty"),
    ("train nmt --src {blank} --tgt {blank} --run {new}", "{blank}: the file is empty"),
    ("train nmt --src {latin1} --tgt {train_en} --run {new}", "{latin1}: byte 13 (line 2) is not valid"),
    ("train nmt --src {train_es} --tgt {train_en} --valid-src {utf16} --valid-tgt {utf16} --run {new}",
     "{utf16}: the file is UTF-16"),
    ("translate {nmt} --input {missing}", "{missing}: no such file"),
    ("translate {nmt} --input {dir}", "{dir}: is a directory"),
    ("translate {nmt} --input {empty}", "{empty}: nothing to translate"),
    ("translate {nmt} --input {blank}", "{blank}: nothing to translate"),
    ("translate {nmt} --input {latin1}", "{latin1}: byte 13 (line 2) is not valid UTF-8"),
    ("translate {nmt} --input {utf16}", "{utf16}: the file is UTF-16"),
    ("score {nmt} --src {dir} --tgt {two}", "{dir}: is a directory"),
    ("score {nmt} --src {two} --tgt {utf16}", "{utf16}: the file is UTF-16"),
    ("evaluate nmt {nmt} --src {empty} --ref {two}", "{empty}: the file is empty"),
    ("evaluate nmt {nmt} --src {two} --ref {latin1}", "{latin1}: byte 13 (line 2) is not valid UTF-8"),
]

PAIRED = [  # parallel and labelled data: line counts, columns, classes, empty texts
    ("train nmt --src {train_es} --tgt {train_en} --valid-src {two} --valid-tgt {three} --run {new}",
     "{two} has 2 lines but {three} has 3"),
    ("evaluate nmt {nmt} --src {two} --ref {three}", "{two} has 2 lines but {three} has 3"),
    ("evaluate nmt {nmt} --src {gap} --ref {gap}", "{gap} line 2 is blank"),
    ("train nmt --src {left} --tgt {right} --run {new}", "{left}, {right}: no line pair has text on both"),
    ("train cnn-sentiment --train {one_class_csv} --run {new}",
     "{one_class_csv}: every example has the label 'positive'; a classifier needs examples of at least two"),
    ("train cnn-sentiment --train {rare_csv} --valid-fraction 0.1 --seed 17 --run {new}",
     "{rare_csv}: every example of class 'meh' fell in the held-out validation share"),
    ("train cnn-sentiment --train {train_csv} --valid {unseen_csv} --run {new}",
     "{unseen_csv} line 3: label 'meh' is not one of the classes of {train_csv} (negative, positive)"),
    ("train cnn-sentiment --train {train_csv} --valid {no_column_csv} --run {new}",
     "{no_column_csv} line 1: no column 'text'"),
    ("train cnn-sentiment --train {no_text_csv} --run {new}", "{no_text_csv}: no examples with text"),
    ("evaluate classify {clf} --data {no_text_csv}", "{no_text_csv}: no examples with text"),
    ("classify {clf} great {nothing}", "text argument 2: the text is empty"),
]

NUMBERS = [  # zero, negative, NaN, out of range
    ("sample {char} --length -1", "length must be >= 0"),
    ("sample {char} --temperature nan", "temperature must be a finite number >= 0 (0 means argmax), not nan"),
    ("sample {char} --temperature -0.5", "temperature must be a finite number >= 0"),
    ("sample {char} --top-p 1.5", "top_p must be in (0, 1] (1: off), not 1.5"),
    ("sample {char} --top-k -1", "top_k must be >= 0"),
    ("sample {char} --beam 0", "beam width must be >= 1, not 0"),
    ("sample {char} --no-repeat-ngram -1", "no_repeat_ngram cannot be negative"),
    ("evaluate {char} --data {text} --batch-size 0", "--batch-size must be at least 1, not 0"),
    ("evaluate {char} --data {text} --seq-len -5", "--seq-len must be at least 1, not -5"),
    ("train char-lm --data {text} --run {new} --max-steps -1", "max_steps cannot be negative, not -1"),
    ("train char-lm --data {text} --run {new} --seq-len 0", "seq_len must be at least 1, not 0"),
    ("train char-lm --data {text} --run {new} --learning-rate nan", "learning_rate must be positive"),
    ("train char-lm --data {text} --run {new} --valid-fraction 1", "valid_fraction must be in (0, 1)"),
    ("train char-lm --data {text} --run {new} --valid-chars -1", "valid_chars cannot be negative, not -1"),
    ("train char-lm --data {text} --run {new} --seq-len 10000 --units 8",
     "batch size 12 x unrollings 10000 needs at least"),
    ("train cnn-sentiment --train {train_csv} --run {new} --batch-size 0", "batch_size must be at least 1"),
    ("train cnn-sentiment --train {train_csv} --run {new} --max-vocab 3", "max_vocab must be 0 (no cap) or"),
    ("train cnn-sentiment --train {train_csv} --run {new} --widths 3,0", "widths must be positive integers"),
    ("classify {clf} great --batch-size 0", "--batch-size must be at least 1, not 0"),
    ("classify {clf} great --batch-size -3", "--batch-size must be at least 1, not -3"),
    ("evaluate classify {clf} --data {train_csv} --batch-size 0", "--batch-size must be at least 1, not 0"),
    ("train nmt --src {train_es} --tgt {train_en} --run {new} --vocab-size -1", "vocab_size cannot be"),
    ("train nmt --src {train_es} --tgt {train_en} --run {new} --vocab-size 5 --max-steps 1",
     "a unigram vocabulary of this text needs a size of at least"),
    ("train nmt --src {train_es} --tgt {train_en} --run {new} --valid-size 0",
     "valid_size 0 holds out no validation pairs"),
    ("train nmt --src {train_es} --tgt {train_en} --run {new} --eval-beam 0", "eval_beam must be at least 1"),
    ("translate {nmt} --input {two} --beam 0", "beam width must be >= 1, not 0"),
    ("translate {nmt} --input {two} --nbest 0", "nbest must be in [1, beam width 5], not 0"),
    ("translate {nmt} --input {two} --alpha nan", "alpha and beta must be finite numbers >= 0, not alpha=n"),
    ("translate {nmt} --input {two} --coverage -1", "alpha and beta must be finite numbers >= 0"),
    ("translate {nmt} --input {two} --sample --temperature 0", "temperature must be a finite number > 0"),
    ("translate {nmt} --input {two} --sample --temperature inf", "temperature must be a finite number > 0"),
    ("translate {nmt} --input {two} --sample --top-p 2", "top_p must be in (0, 1]"),
    ("translate {nmt} --input {two} --batch-size 0", "--batch-size must be at least 1, not 0"),
    ("translate {nmt} --input {two} --batch-size -1", "--batch-size must be at least 1, not -1"),
    ("translate {nmt} --input {two} --max-source 0", "--max-source must be at least 1, not 0"),
    ("translate {nmt} --input {two} --max-ratio nan", "max_output must be at least 1, not nan, 10 and 512"),
    ("translate {nmt} --input {two} --min-len -1", "min_len and no_repeat_ngram cannot be negative"),
    ("score {nmt} --src {two} --tgt {two} --batch-size 0", "--batch-size must be at least 1, not 0"),
    ("evaluate nmt {nmt} --src {two} --ref {two} --beam -2", "beam width must be >= 1, not -2"),
    ("average {nmt} --last -1", "--last cannot be negative, not -1"),
]

RUNS = [  # not a run, another kind of run, damaged checkpoints and configs, impossible paths
    ("evaluate classify {dir} --data {train_csv}", "{dir}: not a seqkit run directory"),
    ("average {missing}", "{missing}: not a seqkit run directory"),
    ("export {afile} --h5 {new}", "{afile}: not a seqkit run directory"),
    ("sample {afile}/run", "{afile}/run: not a seqkit run directory"),
    ("translate {char} --input {two}", "{char}/config.yaml: this run was trained by `seqkit train char-rnn`; "
     "give a run of `seqkit train nmt`"),
    ("sample {nmt}", "{nmt}/config.yaml: this run was trained by `seqkit train nmt`; give a run of `seqkit "
     "train char-rnn`"),
    ("classify {nmt} great", "{nmt}/config.yaml: this run was trained by `seqkit train nmt`"),
    ("evaluate {clf} --data {text}", "this run was trained by `seqkit train cnn-sentiment`"),
    ("evaluate classify {char} --data {train_csv}", "this run was trained by `seqkit train char-rnn`"),
    ("score {clf} --src {two} --tgt {two}", "this run was trained by `seqkit train cnn-sentiment`"),
    ("average {char}", "{char}/config.yaml: this run was trained by `seqkit train char-rnn`"),
    ("train char-lm --run {nmt} --resume --max-steps 1", "{nmt}/config.yaml: this run was trained by"),
    ("sample {char_truncated}", "{char_truncated}/checkpoints/ckpt-30.h5: not a readable checkpoint"),
    ("classify {clf_truncated} great", "{clf_truncated}/checkpoints/ckpt-16.h5: not a readable checkpoint"),
    ("translate {nmt_truncated} --input {two}", "{nmt_truncated}/checkpoints/ckpt-120.h5: not a readable"),
    ("sample {char_garbled}", "{char_garbled}/checkpoints/ckpt-30.h5: not a readable checkpoint"),
    ("classify {clf_garbled} great", "{clf_garbled}/checkpoints/ckpt-16.h5: not a readable checkpoint"),
    ("translate {nmt_garbled} --input {two}", "{nmt_garbled}/checkpoints/ckpt-120.h5: not a readable"),
    ("export {clf_garbled} --h5 {new}", "{clf_garbled}/checkpoints/ckpt-16.h5: not a readable checkpoint"),
    ("evaluate classify {clf_garbled} --data {train_csv}", "{clf_garbled}/checkpoints/ckpt-16.h5: not a"),
    ("train char-lm --run {char_truncated} --resume --max-steps 40", "{char_truncated}/checkpoints/ckpt-30"),
    ("train cnn-sentiment --run {clf_garbled} --resume --max-steps 40", "{clf_garbled}/checkpoints/ckpt-32"),
    ("sample {char_resized}", "{char_resized}/checkpoints/ckpt-30.h5: model/head/kernel has shape (32, "),
    ("classify {clf_resized} great", "{clf_resized}/checkpoints/ckpt-16.h5: model/convs/0/bias has shape"),
    ("sample {char_yaml}", "{char_yaml}/config.yaml: not valid YAML (expected ',' or ']', but got ':' at "
     "line 2, column 3)"),
    ("classify {clf_yaml} great", "{clf_yaml}/config.yaml: not valid YAML"),
    ("train nmt --run {nmt_yaml} --resume --max-steps 130", "{nmt_yaml}/config.yaml: not valid YAML"),
    ("export {nmt_yaml} --h5 {new}", "{nmt_yaml}/config.yaml: not valid YAML"),
    ("evaluate {char_field} --data {text}", "{char_field}/config.yaml: unknown config keys: colour"),
    ("translate {nmt_field} --input {two}", "{nmt_field}/config.yaml: unknown config keys: colour"),
    ("train cnn-sentiment --run {clf_field} --resume --max-steps 40", "{clf_field}/config.yaml: unknown "),
    ("sample {char_best}", "{char_best}/checkpoints/best.json: damaged"),
    ("classify {clf_best} great", "{clf_best}/checkpoints/best.json: damaged"),
    ("translate {nmt_best} --input {two}", "{nmt_best}/checkpoints/best.json: damaged"),
    ("sample {char} --checkpoint first", "--checkpoint takes best, latest or a step number"),
    ("translate {nmt} --input {two} --checkpoint 7", "{nmt}: no checkpoint of step 7; it has steps 60, 120"),
    ("train nmt --src {train_es} --tgt {train_en} --run /proc/seqkit/run", "/proc/seqkit: No such file"),
    ("train cnn-sentiment --train {train_csv} --run {afile}/run", "{afile}/run: Not a directory"),
    ("train char-lm --data {text} --run {new} --init-from {nmt}", "--init-from {nmt} is a nmt run"),
]

OUTPUTS = [  # an output that cannot be written fails before the work whose results it would hold
    ("score {nmt} --src {two} --tgt {two} --output {afile}/scores", "{afile}/scores: the folder {afile}"),
    ("evaluate nmt {nmt} --src {two} --ref {two} --output {dir}", "{dir}: is a directory"),
    ("evaluate classify {clf} --data {train_csv} --plot {afile}/cm.png", "{afile}/cm.png: {afile} is a file"),
    ("translate {nmt} --input {two} --alignments {afile}/a.png", "{afile}/a.png: {afile} is a file"),
    ("export {nmt} --h5 {afile}/w.h5", "{afile}/w.h5: {afile} is a file, not a folder"),
    ("export {nmt} --h5 /proc/w.h5", "/proc/w.h5: cannot write in /proc"),
    ("export {char} --h5 {dir}", "{dir}: is a directory; give a file name"),
    ("export {clf} --saved-model {afile} --overwrite", "{afile} is not a SavedModel (no saved_model.pb)"),
]


@pytest.mark.parametrize("argv, pattern", FILES + PAIRED + NUMBERS + RUNS + OUTPUTS)
def test_bad_input_is_one_line_exit_2(argv, pattern, names, tmp_path, capsys) -> None:
    names = names | {"new": str(tmp_path / "new")}  # a run or output path of the case's own
    code, _, err = run_cli(capsys, *[a.format(**names) for a in argv.split()])
    one_line_error(code, err, pattern.format(**names))


def tree(path: str | Path) -> dict[str, str]:
    """{relative path: sha256} of every file under `path`."""
    root = Path(path)
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("run, argv, pattern", [
    ("char", "train char-lm --data {text} --run {run} --max-steps 1", "{run} already holds a run; pass"),
    ("clf", "train cnn-sentiment --train {train_csv} --run {run}", "{run} already holds a run"),
    ("nmt", "train nmt --src {train_es} --tgt {train_en} --run {run}", "{run} already holds a run"),
    ("clf", "train cnn-sentiment --train {one_class_csv} --run {run} --overwrite", "every example has the"),
    ("nmt", "train nmt --src {two} --tgt {three} --run {run} --overwrite", "{two} has 2 lines but {three}"),
    ("char", "train char-lm --run {run} --resume --max-steps 40 --batch-size 4",
     "{run}: its checkpoint was written with batch_size 8, not 4; resume with the run's batch size"),
    ("nmt", "train nmt --run {run} --resume --max-steps 130 --units 8", "model/bridge/layers/0/bias has"),
])
def test_a_refused_run_is_left_byte_for_byte(run, argv, pattern, names, tmp_path, capsys) -> None:
    """An existing run without --overwrite, --overwrite with bad input, a resume that cannot fit: the run's
    files, config.yaml and checkpoints included, stay as they were (a session run itself where the command
    must not write, a copy where a bug would)."""
    run = names[run]
    if "--overwrite" in argv or "--resume" in argv:
        run = str(shutil.copytree(run, tmp_path / "copy"))
    before = tree(run)
    code, _, err = run_cli(capsys, *argv.format(**names, run=run).split())
    one_line_error(code, err, pattern.format(**names, run=run))
    assert tree(run) == before


def test_an_output_file_is_untouched_when_the_input_is_bad(names, tmp_path, capsys) -> None:
    out = tmp_path / "out.txt"
    out.write_text("earlier results\n")
    for argv in (f"translate {names['nmt']} --input {names['latin1']} --output {out}",
                 f"score {names['nmt']} --src {names['two']} --tgt {names['three']} --output {out}",
                 f"evaluate nmt {names['nmt']} --src {names['gap']} --ref {names['gap']} --output {out}"):
        code, stdout, err = run_cli(capsys, *argv.split())
        assert code == 2 and stdout == "" and err.count("\n") == 1, err
        assert out.read_text() == "earlier results\n"


@pytest.mark.parametrize("argv, flag", [
    ("sample {char} --length abc", "argument --length: invalid int value: 'abc'"),
    ("translate {nmt} --beam x", "argument --beam: invalid int value: 'x'"),
    ("train nmt --vocab-size many", "argument --vocab-size: invalid int value: 'many'"),
    ("train char-lm --learning-rate fast", "argument --learning-rate: invalid float value: 'fast'"),
    ("classify {clf} great --batch-size 1.5", "argument --batch-size: invalid int value: '1.5'"),
    ("average {nmt} --last x", "argument --last: invalid int value: 'x'"),
])
def test_non_numbers_are_argparse_errors_naming_the_flag(argv, flag, names, capsys) -> None:
    with pytest.raises(SystemExit) as e:
        main(argv.format(**names).split())
    err = capsys.readouterr().err
    assert e.value.code == 2 and err.strip().splitlines()[-1].endswith(flag) and "Traceback" not in err


# --- accepted: a BOM and Windows line ends, one huge line, a single class to evaluate ------------------
def windows(path: Path, text: str) -> str:
    """`text` as Notepad saves it: a UTF-8 byte-order mark and CRLF line ends."""
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    return str(path)


@pytest.fixture(scope="module")
def load_once():
    """Translate loads (and compiles) the session's NMT run once for the cases that use it."""
    from seqkit.inference import translator

    real, loaded = translator.load_translator, {}

    def load(runs, which: str = "best"):
        key = (tuple(map(str, runs)) if isinstance(runs, list) else str(runs), which)
        return loaded[key] if key in loaded else loaded.setdefault(key, real(runs, which))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(translator, "load_translator", load)
        patch.setattr(api, "load_translator", load)
        yield


def test_bom_and_crlf_read_as_the_plain_file(names, shakespeare_slice, tmp_path, capsys, load_once) -> None:
    csv = "label,text\n" + "".join(f"{label},{t}\n" for label, t in zip(("positive", "negative"), TEXTS))
    sources = "".join(line + "\n" for line in Path(names["valid_es"]).read_text().splitlines()[:4])
    for verb, body in ((["evaluate", names["char"], "--data"], shakespeare_slice[:3000]),
                       (["classify", names["clf"], "--input"], "\n".join(TEXTS) + "\n"),
                       (["evaluate", "classify", names["clf"], "--data"], csv),
                       (["translate", names["nmt"], "--beam", "1", "--input"], sources)):
        (tmp_path / "plain.txt").write_text(body)
        plain = run_cli(capsys, *verb, str(tmp_path / "plain.txt"))
        assert plain[0] == 0 and plain[1], plain
        assert run_cli(capsys, *verb, windows(tmp_path / "windows.txt", body)) == plain


def test_one_huge_line_and_one_class_to_evaluate(names, tmp_path, capsys) -> None:
    """A char LM scores one 10,800-character line, a classifier labels a 5,000-word one (its first max_len
    words); evaluating on data of one class is no error (the run knows both), its macro-F1 says so."""
    (tmp_path / "huge.txt").write_text("the king " * 1200)
    code, out, err = run_cli(capsys, "evaluate", names["char"], "--data", str(tmp_path / "huge.txt"))
    assert code == 0 and "bits/char" in out, err
    (tmp_path / "huge_in.txt").write_text("great " * 5000 + "\n")
    code, out, err = run_cli(capsys, "classify", names["clf"], "--input", str(tmp_path / "huge_in.txt"))
    assert code == 0 and out in ("positive\n", "negative\n"), err
    code, out, err = run_cli(capsys, "evaluate", "classify", names["clf"], "--data", names["one_class_csv"])
    assert code == 0 and ("macro-F1 0.5000" in out or "macro-F1 0.0000" in out), err


def test_api_raises_what_the_command_line_prints(names, load_once) -> None:
    """The Python API's calls fail with the same errors (seqkit.errors), not with NumPy's or TensorFlow's."""
    from seqkit.errors import CheckpointError, ConfigError

    with pytest.raises(ConfigError, match="--batch-size must be at least 1, not -1"):
        api.translate(names["nmt"], ["uno"], batch_size=-1)
    with pytest.raises(ConfigError, match="--batch-size must be at least 1, not 0"):
        api.classify(names["clf"], ["great"], batch_size=0)
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        api.sample(names["char_garbled"], length=3)
