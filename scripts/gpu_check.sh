#!/usr/bin/env bash
# GPU check (issue 14): the GPU that TensorFlow sees, then the char-LM and NMT benchmarks trained for
# $SECONDS_EACH (120) seconds each in float32 and in mixed_float16, and one table of their speeds: training
# chars/s (LM), training target tokens/s (NMT) and beam-5 sentences/s (NMT, decoded in float32 either way:
# runs load in float32). About 10 minutes; `lm` or `nmt` runs one half, and the table shows what $OUT has.
#
#   bash scripts/gpu_check.sh                  # from the repo root, with the virtualenv in .venv
#   bash scripts/gpu_check.sh lm               # then: bash scripts/gpu_check.sh nmt
#   DATA=DIR bash scripts/gpu_check.sh         # DIR/shakespeare/ and DIR/bible_es_en/ (default ../shared/data)
#   ALLOW_CPU=1 SMOKE=1 SECONDS_EACH=20 bash scripts/gpu_check.sh  # every command on a CPU: tiny models
#
# Without DIR/shakespeare the LM trains on the embedded Shakespeare; without DIR/bible_es_en the NMT model
# trains on pairs of consecutive lines of it (a stand-in: its speeds compare, its BLEU means nothing).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
SECONDS_EACH=${SECONDS_EACH:-120}
DATA=${DATA:-../shared/data}
OUT=${OUT:-runs/gpu_check}
PRECISIONS=(float32 mixed_float16)
PARTS=("$@")
[[ ${#PARTS[@]} -gt 0 ]] || PARTS=(lm nmt)
export TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-2}
mkdir -p "$OUT"

echo "== nvidia-smi"
if command -v nvidia-smi >/dev/null; then nvidia-smi || echo "nvidia-smi failed"; else echo "no nvidia-smi"; fi
echo "== the GPUs TensorFlow sees"
"$PY" - <<'EOF' || [[ -n ${ALLOW_CPU:-} ]]
import sys

import tensorflow as tf

gpus = tf.config.list_physical_devices("GPU")
print(f"TensorFlow {tf.__version__}, built with CUDA: {tf.test.is_built_with_cuda()}; GPUs: {gpus}")
for gpu in gpus:
    print(tf.config.experimental.get_device_details(gpu))
if not gpus:
    sys.exit("FAIL: TensorFlow sees no GPU (driver, CUDA libraries, tensorflow[and-cuda]?); ALLOW_CPU=1 goes on")
EOF

SMALL=${SMOKE:+1}  # tiny models and data, for trying the commands on a CPU
LM_FLAGS=(--seconds "$SECONDS_EACH" --no-tutorial)
NMT_FLAGS=(--minutes "$("$PY" -c "print($SECONDS_EACH / 60)")" --only joey --eval-every 0)
if [[ -n $SMALL ]]; then
  LM_FLAGS+=(--model-dim 32 --ff-dim 64 --layers 1 --batch-size 8 --seq-len 32 --max-steps 300 --alone)
  NMT_FLAGS+=(--set units=32 --set embedding_dim=16 --set vocab_size=300 --set batch_tokens=400 --set log_every=5)
fi
if [[ -f $DATA/shakespeare/shakespeare.txt && -z $SMALL ]]; then
  LM_FLAGS+=(--data "$DATA/shakespeare/shakespeare.txt")
else
  LM_FLAGS+=(--data "")  # the embedded Shakespeare
fi
if [[ -f $DATA/bible_es_en/train.es && -z $SMALL ]]; then
  NMT_FLAGS+=(--data "$DATA/bible_es_en")
else
  echo "(NMT data: consecutive line pairs of the embedded Shakespeare, $OUT/standin)"
  "$PY" - "$OUT/standin" "${SMALL:-0}" <<'EOF'
import sys
from pathlib import Path

from seqkit.data.embedded import embedded_text

out, small = Path(sys.argv[1]), sys.argv[2] == "1"
lines = [line.strip() for line in embedded_text().splitlines() if len(line.split()) >= 3]
pairs = list(zip(lines, lines[1:]))[: 2000 if small else 30000]
out.mkdir(parents=True, exist_ok=True)
for split, part in (("dev", pairs[:16 if small else 176]), ("train", pairs[176:])):
    for side, texts in (("es", [a for a, _ in part]), ("en", [b for _, b in part])):
        (out / f"{split}.{side}").write_text("".join(t + "\n" for t in texts), encoding="utf-8")
EOF
  NMT_FLAGS+=(--data "$OUT/standin")
fi

for part in "${PARTS[@]}"; do
  for precision in "${PRECISIONS[@]}"; do
    echo "== $part, $precision, ${SECONDS_EACH}s"
    case $part in
      lm) "$PY" scripts/bench_charlm.py "${LM_FLAGS[@]}" --precision "$precision" --run "$OUT/lm-$precision" \
            --out "$OUT/lm-$precision.json" ;;
      nmt) "$PY" scripts/bench_nmt.py "${NMT_FLAGS[@]}" --set precision="$precision" --runs "$OUT/nmt-$precision" \
             --out "$OUT/nmt-$precision.json" ;;
      *) echo "unknown part $part: give lm, nmt or both" >&2; exit 2 ;;
    esac
  done
done

echo "== speeds (training in each precision; decoding in float32)"
"$PY" - "$OUT" "${PRECISIONS[@]}" <<'EOF'
import json
import sys
from pathlib import Path

out, precisions = Path(sys.argv[1]), sys.argv[2:]


def row(name: str) -> dict:
    """The benchmark's first result row, or {} where it has not run."""
    path = out / f"{name}.json"
    return json.loads(path.read_text())[0] if path.exists() else {}


columns = [("lm", "train_chars_per_s", "LM train chars/s"), ("lm", "bpc_stateful", "LM bpc"),
           ("nmt", "train_tokens_per_s", "NMT train tgt tokens/s"),
           ("nmt", "sentences_per_s_beam5", "beam-5 sent/s"),
           ("nmt", "sentences_per_s_beam5_len40", "beam-5 sent/s, 40 tokens"), ("nmt", "bleu_beam5", "BLEU")]
table = {p: [row(f"{part}-{p}").get(key) for part, key, _ in columns] for p in precisions}
print("| precision | " + " | ".join(title for *_, title in columns) + " |")
print("|---" * (len(columns) + 1) + "|")
for p, values in table.items():
    print(f"| {p} | " + " | ".join("-" if v is None else str(v) for v in values) + " |")
base = table[precisions[0]]
for p in precisions[1:]:
    ratios = [f"{v / b:.2f}x" if v and b else "-" for v, b in zip(table[p], base)]
    print(f"| {p} / {precisions[0]} | " + " | ".join(ratios) + " |")
EOF
