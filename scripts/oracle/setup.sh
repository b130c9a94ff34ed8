#!/usr/bin/env bash
# npm run oracle:setup: create (once) the git-ignored virtualenv that runs real Keras beside our tests.
# Idempotent: a stamp holding the requirements hash skips the work when nothing changed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv"
stamp="$venv/.requirements.sha256"
want=$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)

if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  echo "oracle: environment up to date ($venv)"
  exit 0
fi

python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info[:2] >= (3, 9) else 1)' 2>/dev/null; then
  echo "oracle: $python is missing or older than 3.9; install Python 3.9-3.12 or set PYTHON=/path/to/python3" >&2
  exit 1
fi

echo "oracle: installing pinned Keras environment into $venv (first run downloads ~300 MB)"
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
# --no-deps: requirements.txt is the full pinned closure (tf-keras names 'tensorflow'; we use tensorflow-cpu).
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -r "$here/requirements.txt"
TF_CPP_MIN_LOG_LEVEL=3 "$venv/bin/python" -c 'import tensorflow, keras, tf_keras, h5py, numpy, onnxruntime; print("oracle: tensorflow", tensorflow.__version__, "keras", keras.__version__, "tf_keras", tf_keras.__version__, "onnxruntime", onnxruntime.__version__)'
echo "$want" > "$stamp"
