"""Errors a user can cause. The CLI prints their message on one line and exits 2."""


class SeqkitError(Exception):
    """Base class: the message says what went wrong and what to do."""


class DataError(SeqkitError):
    """Input text is missing, empty, undecodable, or outside the alphabet."""


class ConfigError(SeqkitError):
    """A configuration value is invalid or inconsistent."""


class CheckpointError(SeqkitError):
    """A run directory or checkpoint is missing, corrupt, or does not match the model."""


class TrainingError(SeqkitError):
    """Training cannot go on (for example, the loss became NaN)."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM stopped a verb; the message says what was kept (the CLI exits 130)."""
