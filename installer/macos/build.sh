#!/usr/bin/env bash
# Builds Backdesk.app and Backdesk-VERSION.dmg in dist/ on a Mac (see README,
# "Installing Backdesk"). Needs Python 3.11+ from python.org or Homebrew, and the DejaVu
# fonts: pass the folder holding DejaVuSans.ttf, DejaVuSans-Bold.ttf and LICENSE.
#   installer/macos/build.sh ~/Downloads/dejavu-fonts-ttf-2.37/ttf
# Set BACKDESK_CODESIGN_IDENTITY="Developer ID Application: ..." to sign the app.
set -euo pipefail
font_dir=${1:?usage: installer/macos/build.sh FONT_DIR}
# Resolved before moving to the checkout, so a folder given relative to where the
# command was typed is found.
font_dir=$(cd "$font_dir" && pwd) || { echo "No such folder: $1" >&2; exit 1; }
cd "$(dirname "$0")/../.."
python=${PYTHON:-python3}
# A fresh venv from the lock each time: no leftover package can reach the bundle.
rm -rf .venv-build
"$python" -m venv .venv-build
.venv-build/bin/python -m pip install --quiet --upgrade pip
.venv-build/bin/python -m pip install --quiet -r installer/requirements-build.txt
.venv-build/bin/python installer/build.py --font-dir "$font_dir"
