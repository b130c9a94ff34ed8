#!/usr/bin/env bash
# GPU check for users: builds the tensorflow-gpu backend from the pip tensorflow[and-cuda] wheel
# (CUDA 12 and cuDNN come as pip packages; only the NVIDIA driver must be installed), shows doctor,
# then times one feature extraction and one finetune epoch on it and prints images/s.
# Usage: scripts/gpu-check.sh [DATA_DIR]   (default: 2 x 150 generated 224 px images)
# Takes < 5 minutes once the wheels (~3 GB) are downloaded.
set -euo pipefail
cd "$(dirname "$0")/.."

tk() { node bin/transferkit.js --backend tensorflow-gpu "$@"; }
now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%d images in %.1f s: %.1f img/s\n", n, b - a, n / (b - a) }'; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== setup tensorflow --gpu"
node bin/transferkit.js setup tensorflow --gpu
echo "== doctor"
tk doctor
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv

data=${1:-$work/images}
if [ -z "${1:-}" ]; then
  # Random noise pictures in two classes: enough to time the GPU, not to learn anything.
  node --input-type=module -e "
    import sharp from 'sharp';
    import { mkdirSync } from 'node:fs';
    for (const c of ['a', 'b']) {
      mkdirSync('$data/' + c, { recursive: true });
      for (let i = 0; i < 150; i++) {
        const raw = Buffer.from(Array.from({ length: 224 * 224 * 3 }, (_, j) => (j * 7 + i * 13 + (c === 'a' ? 0 : 97)) % 251));
        await sharp(raw, { raw: { width: 224, height: 224, channels: 3 } }).jpeg().toFile('$data/' + c + '/' + i + '.jpg');
      }
    }"
fi
images=$(find "$data" -type f \( -iname '*.jpg' -o -iname '*.jpeg' -o -iname '*.png' \) | wc -l)
node bin/transferkit.js init-weights --no-top --out "$work/notop.h5" >/dev/null

echo "== extract block5_pool features at 224 (tfjs engine on tensorflow-gpu)"
start=$(now)
tk extract "$data" --weights "$work/notop.h5" --engine tfjs --cache "$work/cache-extract" >/dev/null
rate "$images" "$start" "$(now)"

echo "== finetune: block4_pool features, then one warm-up and one finetune epoch (block5 + head)"
tk train "$data" --strategy finetune --epochs 2 --warmup-epochs 1 --weights "$work/notop.h5" --engine tfjs \
  --cache "$work/cache-train" --out "$work/run" >/dev/null 2>"$work/train.log"
grep -E '^epoch ' "$work/train.log" || true
start=$(now)
tk train "$data" --strategy finetune --epochs 2 --warmup-epochs 1 --weights "$work/notop.h5" --engine tfjs \
  --cache "$work/cache-train" --out "$work/run2" >/dev/null 2>&1
echo -n "train with cached block4_pool features, warm-up + finetune epoch (train and validation images each): "
rate "$((images * 2))" "$start" "$(now)"
