"""The command line: one module per verb. The only layer that reads flags."""
