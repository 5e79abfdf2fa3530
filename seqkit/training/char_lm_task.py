"""Character language modelling as a trainer task; sampling from a run: seqkit.inference.sampler."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from seqkit.checkpoints import asset_source, prepare_run_dir
from seqkit.config import CharRNNConfig
from seqkit.data.alphabet import Alphabet
from seqkit.data.cursor_batches import CursorBatches
from seqkit.data.embedded import embedded_text
from seqkit.data.text import read_text
from seqkit.errors import CheckpointError
from seqkit.inference.sampler import ALPHABET_FILE, encode_for_run
from seqkit.metrics.perplexity import compiled_forward, lm_nats
from seqkit.models import RecurrentLM, build_char_model
from seqkit.training.trainer import set_seed, train_in_run


def load_texts(cfg: CharRNNConfig) -> tuple[str, str]:
    """(train, valid) text: the files given, or the embedded corpus, split by valid_fraction."""
    text = read_text(cfg.data) if cfg.data else embedded_text()
    if cfg.valid:
        return text, read_text(cfg.valid)
    cut = int(len(text) * (1 - cfg.valid_fraction))
    return text[:cut], text[cut:]


def validation_ids(ids: np.ndarray, valid_chars: int) -> np.ndarray:
    """The first `valid_chars` ids of the validation split (0: all of them), copied so the rest is freed."""
    return ids[:valid_chars].copy() if 0 < valid_chars < len(ids) else ids


def make_alphabet(cfg: CharRNNConfig, train: str, valid: str) -> Alphabet:
    """The preset or the characters of train and valid together (so validation has no unknowns)."""
    if cfg.alphabet == "text8":
        return Alphabet.text8(cfg.unknown)
    return Alphabet.from_text(train, valid, unknown=cfg.unknown)


class CharLMTask:
    """Cursor batches over the training ids; loss in nats per character; state carried across steps."""

    unit = "chars"
    goals = {"loss": "min", "bpc": "min"}

    def __init__(self, cfg: CharRNNConfig, alphabet: Alphabet, train_ids: np.ndarray,
                 valid_ids: np.ndarray, model: RecurrentLM) -> None:
        self.cfg, self.alphabet, self.model = cfg, alphabet, model
        self.steps_per_epoch = max(1, len(train_ids) // (cfg.batch_size * cfg.seq_len))
        self.xla = model.xla_speeds_up  # batches are always [batch_size, seq_len]
        self.valid_ids = valid_ids
        self.stream = CursorBatches(train_ids, cfg.batch_size, cfg.seq_len, cfg.reset_every)
        self._forward = compiled_forward(model)

    def batches(self):
        return self.stream

    def initial_carry(self) -> tuple[np.ndarray, ...]:
        return tuple(np.asarray(s) for s in self.model.fresh_state(self.cfg.batch_size))

    def loss(self, batch, carry, training: bool):
        x, y, keep = batch
        carry = tuple(c * tf.cast(keep[:, None], c.dtype) for c in carry)
        logits, state = self.model(x, carry, targets=y, training=training)
        ce = tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits)
        return tf.reduce_sum(ce), tf.size(y), state

    def evaluate(self) -> dict[str, float]:
        """Stateful over windows of 256 for recurrent models; a Transformer reads windows of its context
        (seq_len) on their own, as it trains. Over `valid_ids`: train_char_rnn keeps the first
        cfg.valid_chars of the split."""
        window = 256 if self.model.carries_state else self.cfg.seq_len
        m = lm_nats(self.model, self.valid_ids, self.cfg.eval_batch_size, window, self._forward,
                    reset=not self.model.carries_state)
        return {"loss": m["loss"], "bpc": m["bpc"]}

    def data_position(self) -> dict[str, np.ndarray]:
        return {"cursors": self.stream.cursors, "stream_step": np.array(self.stream.step)}

    def restore_data_position(self, arrays: dict[str, np.ndarray]) -> None:
        if arrays["cursors"].shape != self.stream.cursors.shape:  # its data position is one cursor a stream
            raise CheckpointError(f"{self.cfg.run}: its checkpoint was written with batch_size "
                                  f"{len(arrays['cursors'])}, not {self.cfg.batch_size}; resume with the "
                                  "run's batch size, or start a new run from it with --init-from")
        self.stream.cursors = arrays["cursors"].astype(np.int64)
        self.stream.step = int(arrays["stream_step"])


def train_char_rnn(cfg: CharRNNConfig, resume: bool = False, overwrite: bool = False) -> dict[str, float]:
    """Train (or resume) a character LM in cfg.run; the final validation metrics and the best checkpoint's."""
    cfg.validate()
    prepare_run_dir(cfg, resume, overwrite)
    set_seed(cfg.seed)
    train, valid = load_texts(cfg)
    if source := asset_source(cfg, resume):
        alphabet = Alphabet.load(source / ALPHABET_FILE)
        what = f"{'resuming' if resume else 'from'} {source}, whose alphabet has {len(alphabet)} symbols"
    else:
        alphabet, what = make_alphabet(cfg, train, valid), "alphabet"
    # Training holds only the compact ids: each text is dropped once encoded (100 M characters of text8
    # are 100 MB as a str, beside 100 MB of uint8 ids). The whole validation text is encoded, so that a
    # character outside the alphabet anywhere in it fails now, and valid_chars of it are kept.
    train_ids = encode_for_run(alphabet, train, f"training text ({what})")
    del train
    valid_ids = validation_ids(encode_for_run(alphabet, valid, f"validation text ({what})"), cfg.valid_chars)
    del valid
    return train_in_run(
        cfg, resume, overwrite,
        lambda: CharLMTask(cfg, alphabet, train_ids, valid_ids, build_char_model(cfg, len(alphabet))),
        lambda run_dir: alphabet.save(run_dir / ALPHABET_FILE))
