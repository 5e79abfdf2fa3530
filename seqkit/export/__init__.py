"""Runs as TensorFlow SavedModels whose signatures take and return strings (`seqkit export
--saved-model`): a char LM generates, an NMT model translates, a classifier classifies, with the
tokenizers inside the graph, so that a process with TensorFlow alone (and tensorflow-text for
sentencepiece) uses them."""
