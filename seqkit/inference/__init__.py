"""Using trained models: loading runs, translating, sampling, classifying, averaging, exporting.

Imports models, decoding and data, never the trainer; training uses it (dev BLEU decodes here).
"""
