"""One trainer for every seqkit model, its run directory I/O, and tf.distribute strategies."""
