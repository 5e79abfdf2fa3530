"""Text -> ids -> batches. Knows nothing of models or training."""
