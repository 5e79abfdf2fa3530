"""Word vectors: loading them in the formats users have, and training word2vec with gensim."""
