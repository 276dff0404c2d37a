#!/usr/bin/env bash
# Checks the system libraries Qt needs (and the fonts the UI and PDFs use); installs the
# missing ones with apt-get when run as root on Debian/Ubuntu, otherwise says what to run.
#   system-deps.sh test   -> what the offscreen test platform needs
#   system-deps.sh run    -> plus what a real X11/Wayland desktop window needs
#   system-deps.sh build  -> plus what `make installer` needs: the libraries the bundle
#                            takes along or names in the .deb's Depends, and dpkg-dev
set -euo pipefail
mode=${1:-run}

# shared library -> Debian package
declare -A need=(
  [libGL.so.1]=libgl1 [libEGL.so.1]=libegl1 [libxkbcommon.so.0]=libxkbcommon0
  [libfontconfig.so.1]=libfontconfig1 [libfreetype.so.6]=libfreetype6
  [libglib-2.0.so.0]=libglib2.0-0 [libdbus-1.so.3]=libdbus-1-3 [libX11.so.6]=libx11-6
  [libxcb.so.1]=libxcb1
)
if [ "$mode" = run ] || [ "$mode" = build ]; then
  need+=(
    [libxkbcommon-x11.so.0]=libxkbcommon-x11-0 [libxcb-cursor.so.0]=libxcb-cursor0
    [libxcb-icccm.so.4]=libxcb-icccm4 [libxcb-image.so.0]=libxcb-image0
    [libxcb-keysyms.so.1]=libxcb-keysyms1 [libxcb-randr.so.0]=libxcb-randr0
    [libxcb-render-util.so.0]=libxcb-render-util0 [libxcb-shape.so.0]=libxcb-shape0
    [libxcb-xinerama.so.0]=libxcb-xinerama0 [libxcb-xkb.so.1]=libxcb-xkb1
    [libX11-xcb.so.1]=libx11-xcb1
  )
fi
if [ "$mode" = build ]; then
  # Qt's Wayland plugins link these; the desktop falls back to X11 without them, but a
  # build must see them to list them in the package's dependencies.
  need+=(
    [libwayland-client.so.0]=libwayland-client0 [libwayland-cursor.so.0]=libwayland-cursor0
    [libwayland-egl.so.1]=libwayland-egl1
  )
fi

missing=()
cache=$(ldconfig -p 2>/dev/null || true)
for lib in "${!need[@]}"; do
  grep -q "$lib" <<<"$cache" || missing+=("${need[$lib]}")
done
if ! fc-list 2>/dev/null | grep -qi "DejaVu Sans"; then
  missing+=(fonts-dejavu-core fontconfig)
fi
# The tests (and a build's own checks) validate the desktop file and AppStream metainfo.
if [ "$mode" = test ] || [ "$mode" = build ]; then
  command -v desktop-file-validate >/dev/null || missing+=(desktop-file-utils)
  command -v appstreamcli >/dev/null || missing+=(appstream)
fi
if [ "$mode" = build ] && command -v dpkg >/dev/null && ! command -v dpkg-shlibdeps >/dev/null; then
  missing+=(dpkg-dev)  # the .deb's dependencies are worked out by dpkg-shlibdeps
fi
[ ${#missing[@]} -eq 0 ] && exit 0

pkgs=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing system packages Qt needs: $pkgs"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $pkgs
  exit 0
fi
echo "Backdesk needs these system packages, which are not installed: $pkgs" >&2
if command -v apt-get >/dev/null; then
  echo "Install them with:  sudo apt-get install $pkgs" >&2
else
  echo "Install the equivalent packages with your system's package manager." >&2
fi
exit 1
