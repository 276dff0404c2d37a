"""`make installer`: freeze Backdesk with PyInstaller and package it for this system.

Run it with the build venv's Python (.venv-build, made from
installer/requirements-build.txt and nothing else, so no test tool can end up in the
bundle). It writes, in --dist (default dist/):

  Linux    backdesk/                    the folder bundle: run backdesk/backdesk
           backdesk/share/              its .desktop file, AppStream metainfo, icons
           backdesk_VERSION_ARCH.deb    if dpkg-deb and dpkg-shlibdeps are installed
  Windows  Backdesk/                    Backdesk.exe (the desktop), backdesk-cli.exe
           Backdesk-VERSION-setup.exe   if Inno Setup 6 (ISCC.exe) is installed
  macOS    Backdesk.app                 and Backdesk-VERSION.dmg
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

APP_ID = "com.backdesk.Backdesk"
# The hicolor theme's standard sizes; 1024 only feeds the macOS .icns.
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICNS_SIZES = (16, 32, 64, 128, 256, 512, 1024)
FONT_FILES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")
# Where the DejaVu licence is: next to the fonts or one up (the upstream zip keeps the
# fonts in ttf/), or where Debian/Ubuntu and Fedora put it.
FONT_LICENCES = ("LICENSE", "../LICENSE", "/usr/share/doc/fonts-dejavu-core/copyright",
                 "/usr/share/licenses/dejavu-sans-fonts/LICENSE")
LINUX = ROOT / "installer" / "linux"


def say(text: str) -> None:
    print(f"installer: {text}", flush=True)


def app_version() -> str:
    from app.version import __version__

    return __version__


# -- icons -------------------------------------------------------------------------
def render_icons(svg: Path, out: Path) -> dict[int, Path]:
    """PNGs of the SVG in every size, drawn by Qt's SVG renderer (as the app draws it)."""
    # Headless: a build machine (or CI) has no display, and no text is drawn.
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"installer: {svg} is not an SVG Qt can draw")
    pngs: dict[int, Path] = {}
    for size in sorted({*ICON_SIZES, *ICO_SIZES, *ICNS_SIZES}):
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        path = out / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(path)):  # PNG, by the suffix
            raise SystemExit(f"installer: could not write {path}")
        pngs[size] = path
    scalable = out / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(svg, scalable)
    return pngs


def windows_and_mac_icons(pngs: dict[int, Path], out: Path) -> None:
    """backdesk.ico and backdesk.icns from the exact-size PNGs.

    Pillow writes both formats on any system, so the macOS and Windows icons are made
    (and checked) here too rather than needing iconutil on a Mac.
    """
    from PIL import Image

    images = {size: Image.open(path) for size, path in pngs.items()}
    images[256].save(out / "backdesk.ico", format="ICO",
                     sizes=[(s, s) for s in ICO_SIZES],
                     append_images=[images[s] for s in ICO_SIZES if s != 256])
    images[1024].save(out / "backdesk.icns", format="ICNS",
                      append_images=[images[s] for s in ICNS_SIZES if s != 1024])


# -- fonts -------------------------------------------------------------------------
def stage_fonts(font_dir: Path | None, out: Path) -> Path:
    """Copy the report fonts and their licence into `out` for the bundle."""
    from app.reports.fonts import ReportFontMissing, find_font

    out.mkdir(parents=True, exist_ok=True)
    try:
        sources = [font_dir / name if font_dir else find_font(name) for name in FONT_FILES]
    except ReportFontMissing:
        raise SystemExit("installer: no DejaVu fonts on this system to bundle; download "
                         "dejavu-fonts-ttf-2.37.zip (https://dejavu-fonts.github.io), unpack "
                         "it and pass its ttf folder as --font-dir") from None
    for source in sources:
        if not source.is_file():
            raise SystemExit(f"installer: the report font {source} is missing")
        shutil.copyfile(source, out / source.name)
    folder = sources[0].parent
    for candidate in FONT_LICENCES:
        licence = folder / candidate  # an absolute candidate ignores `folder`
        if licence.is_file():
            shutil.copyfile(licence, out / "LICENSE-DejaVu.txt")
            return out
    raise SystemExit(f"installer: no licence file for the DejaVu fonts in {folder} or its "
                     "parent; the bundle cannot ship the fonts without it")


# -- freezing ----------------------------------------------------------------------
def freeze(dist: Path, work: Path, fonts: Path, icons: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # PyInstaller's helper processes too
    command = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
               "--distpath", str(dist), "--workpath", str(work / "pyinstaller"),
               str(ROOT / "installer" / "backdesk.spec"),
               "--", "--fonts", str(fonts), "--icons", str(icons)]
    subprocess.run(command, check=True, env=env, cwd=ROOT)  # noqa: S603


def strip_debug_info(bundle: Path) -> int:
    """Remove debug information from the bundle's libraries that carry it; the bytes
    saved. A self-built Python and some wheels ship it (libpython 23 MB, 6 without; the
    SQLCipher driver 21 MB, 8 without). Only .debug sections go: a full strip breaks
    libraries that auditwheel relinked, such as numpy's OpenBLAS."""
    missing = [tool for tool in ("readelf", "strip") if shutil.which(tool) is None]
    if missing:
        raise SystemExit(f"installer: {' and '.join(missing)} not found; install binutils "
                         "(sudo apt-get install binutils, or your system's equivalent).")
    before = folder_size(bundle)
    for path in _elf_files(bundle):
        sections = subprocess.run(["readelf", "-S", "-W", str(path)],  # noqa: S603, S607
                                  capture_output=True, text=True, check=True).stdout
        if ".debug_info" in sections:
            subprocess.run(["strip", "--strip-debug", str(path)], check=True)  # noqa: S603, S607
    return before - folder_size(bundle)


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


# -- Linux -------------------------------------------------------------------------
def linux_share(bundle: Path, icons: Path, version: str) -> Path:
    """The desktop integration files, laid out as under /usr/share."""
    share = bundle / "share"
    shutil.rmtree(share, ignore_errors=True)
    (share / "applications").mkdir(parents=True)
    shutil.copyfile(LINUX / f"{APP_ID}.desktop", share / "applications" / f"{APP_ID}.desktop")
    (share / "metainfo").mkdir()
    epoch = os.environ.get("SOURCE_DATE_EPOCH")  # reproducible builds fix the date
    released = datetime.fromtimestamp(int(epoch), UTC) if epoch else datetime.now(UTC)
    template = (LINUX / f"{APP_ID}.metainfo.xml.in").read_text(encoding="utf-8")
    (share / "metainfo" / f"{APP_ID}.metainfo.xml").write_text(
        template.replace("@VERSION@", version).replace("@DATE@", f"{released:%Y-%m-%d}"),
        encoding="utf-8")
    hicolor = share / "icons" / "hicolor"
    for size in ICON_SIZES:
        target = hicolor / f"{size}x{size}" / "apps"
        target.mkdir(parents=True)
        shutil.copyfile(icons / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png",
                        target / f"{APP_ID}.png")
    (hicolor / "scalable" / "apps").mkdir(parents=True)
    shutil.copyfile(icons / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg",
                    hicolor / "scalable" / "apps" / f"{APP_ID}.svg")
    return share


def _copy_tree(source: Path, target: Path) -> None:
    """Copy a tree for the package, every file 0755 or 0644 whatever the build user's
    umask: root runs what is installed, so nothing in it may be writable by others.
    (Copies, not hard links, so the modes set here never touch dist/ itself.)"""
    shutil.copytree(source, target, symlinks=True)
    for path in target.rglob("*"):
        if path.is_file() and not path.is_symlink():
            path.chmod(0o755 if path.stat().st_mode & 0o111 else 0o644)


def _shlib_depends(staging: Path, elves: list[Path]) -> str:
    """The Debian packages the bundle's binaries link from the system, as dpkg-shlibdeps
    (the tool Debian packages use) works them out, with minimum versions."""
    control = staging.parent / "shlibdeps" / "debian" / "control"
    control.parent.mkdir(parents=True, exist_ok=True)
    control.write_text("Source: backdesk\n\nPackage: backdesk\nArchitecture: any\n")
    libs = sorted({str(p.parent) for p in elves})
    command = ["dpkg-shlibdeps", "-O", "--ignore-missing-info", "--warnings=0",
               *[f"-l{d}" for d in libs], "-e", *[str(p) for p in elves]]
    done = subprocess.run(command, cwd=control.parent.parent, check=False,  # noqa: S603
                          capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"installer: dpkg-shlibdeps could not work out the package's "
                         f"dependencies:\n{done.stderr.strip()}")
    for line in done.stdout.splitlines():
        if line.startswith("shlibs:Depends="):
            return line.removeprefix("shlibs:Depends=")
    raise SystemExit(f"installer: dpkg-shlibdeps said nothing useful: {done.stdout}")


def _elf_files(folder: Path) -> list[Path]:
    found = []
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as f:
                if f.read(4) == b"\x7fELF":
                    found.append(path)
    return sorted(found)


def debian_package(bundle: Path, share: Path, work: Path, dist: Path, version: str) -> Path:
    """A .deb: the bundle in /opt/backdesk, `backdesk` on PATH, the desktop files."""
    arch = subprocess.run(["dpkg", "--print-architecture"], check=True,  # noqa: S607
                          capture_output=True, text=True).stdout.strip()
    staging = work / "deb" / "root"
    shutil.rmtree(staging.parent, ignore_errors=True)
    opt = staging / "opt" / "backdesk"
    _copy_tree(bundle, opt)
    shutil.rmtree(opt / "share")
    _copy_tree(share, staging / "usr" / "share")
    (staging / "usr" / "bin").mkdir(parents=True)
    (staging / "usr" / "bin" / "backdesk").symlink_to("/opt/backdesk/backdesk")
    doc = staging / "usr" / "share" / "doc" / "backdesk"
    doc.mkdir(parents=True)
    (doc / "copyright").write_text(
        f"Backdesk {version}\nCopyright © 2026 Backdesk. Proprietary software; all rights "
        "reserved.\n\nThe DejaVu fonts in /opt/backdesk/_internal/resources/fonts are under "
        "their own licence, LICENSE-DejaVu.txt beside them.\n", encoding="utf-8")
    depends = _shlib_depends(staging, _elf_files(opt))
    size_kib = folder_size(staging) // 1024
    debian = staging / "DEBIAN"
    debian.mkdir()
    (debian / "control").write_text(
        (LINUX / "control.in").read_text(encoding="utf-8")
        .replace("@VERSION@", version).replace("@ARCH@", arch)
        .replace("@DEPENDS@", depends).replace("@SIZE@", str(size_kib)), encoding="utf-8")
    (doc / "copyright").chmod(0o644)
    (debian / "control").chmod(0o644)
    for folder in [staging, *(p for p in staging.rglob("*") if p.is_dir())]:
        folder.chmod(0o755)  # whatever the build user's umask, as dpkg expects
    deb = dist / f"backdesk_{version}_{arch}.deb"
    # gzip: quick to build, and every dpkg can read it (xz takes minutes on 200 MB).
    subprocess.run(["dpkg-deb", "--build", "--root-owner-group", "-Zgzip",  # noqa: S603, S607
                    str(staging), str(deb)], check=True, stdout=subprocess.DEVNULL)
    shutil.rmtree(staging.parent)
    return deb


# -- Windows and macOS ---------------------------------------------------------------
def _iscc() -> Path | None:
    found = shutil.which("iscc")
    if found:
        return Path(found)
    for base in (os.environ.get("PROGRAMFILES(X86)"), os.environ.get("PROGRAMFILES")):
        if base and (Path(base) / "Inno Setup 6" / "ISCC.exe").is_file():
            return Path(base) / "Inno Setup 6" / "ISCC.exe"
    return None


def windows_installer(dist: Path, icons: Path, version: str) -> Path | None:
    iscc = _iscc()
    if iscc is None:
        say("Inno Setup 6 (ISCC.exe) not found: made the folder bundle only. "
            "Install it from https://jrsoftware.org/isdl.php for the setup program.")
        return None
    subprocess.run([str(iscc), "/Q", f"/DAppVersion={version}",  # noqa: S603
                    f"/DSourceDir={dist / 'Backdesk'}", f"/DOutputDir={dist}",
                    f"/DIconFile={icons / 'backdesk.ico'}",
                    str(ROOT / "installer" / "windows" / "backdesk.iss")], check=True)
    return dist / f"Backdesk-{version}-setup.exe"


def macos_disk_image(dist: Path, version: str) -> Path:
    app = dist / "Backdesk.app"
    identity = os.environ.get("BACKDESK_CODESIGN_IDENTITY")
    if identity:  # Gatekeeper blocks an unsigned app downloaded from the internet
        subprocess.run(["codesign", "--force", "--deep", "--options", "runtime",  # noqa: S603, S607
                        "--timestamp", "--sign", identity, str(app)], check=True)
    dmg = dist / f"Backdesk-{version}.dmg"
    dmg.unlink(missing_ok=True)
    subprocess.run(["hdiutil", "create", "-volname", f"Backdesk {version}",  # noqa: S603, S607
                    "-srcfolder", str(app), "-ov", "-format", "UDZO", str(dmg)], check=True)
    return dmg


# -- main ------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="installer/build.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dist", type=Path, default=ROOT / "dist", help="where the builds go")
    p.add_argument("--work", type=Path, default=ROOT / "build" / "installer",
                   help="PyInstaller's work folder and the staged fonts and icons")
    p.add_argument("--font-dir", type=Path, default=None,
                   help="a folder with DejaVuSans.ttf, DejaVuSans-Bold.ttf and LICENSE "
                   "(default: the system's copy; Windows and macOS have none)")
    p.add_argument("--no-package", action="store_true",
                   help="the folder bundle only: no .deb, setup program or disk image")
    args = p.parse_args(argv)
    dist, work = args.dist.resolve(), args.work.resolve()
    dist.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    version = app_version()
    started = time.perf_counter()

    icons = work / "icons"
    shutil.rmtree(icons, ignore_errors=True)
    pngs = render_icons(ROOT / "resources" / "icons" / "backdesk.svg", icons)
    windows_and_mac_icons(pngs, icons)
    fonts = stage_fonts(args.font_dir, work / "fonts")
    say(f"freezing Backdesk {version} with PyInstaller into {dist}")
    freeze(dist, work, fonts, icons)
    frozen = time.perf_counter()

    made: list[Path] = []
    if sys.platform == "win32":
        bundle = dist / "Backdesk"
        if not args.no_package:
            made += filter(None, [windows_installer(dist, icons, version)])
    elif sys.platform == "darwin":
        bundle = dist / "Backdesk.app"
        if not args.no_package:
            made.append(macos_disk_image(dist, version))
    else:
        bundle = dist / "backdesk"
        saved = strip_debug_info(bundle)
        say(f"removed {saved / 1e6:.0f} MB of debug information")
        share = linux_share(bundle, icons, version)
        if args.no_package:
            pass
        elif shutil.which("dpkg-deb") and shutil.which("dpkg-shlibdeps"):
            made.append(debian_package(bundle, share, work, dist, version))
        else:
            say("no .deb: it needs dpkg-deb and dpkg-shlibdeps (apt-get install dpkg-dev)")
    done = time.perf_counter()
    say(f"bundle {bundle}: {folder_size(bundle) / 1e6:.0f} MB; "
        f"froze in {frozen - started:.0f} s, packaged in {done - frozen:.0f} s")
    for path in made:
        say(f"package {path}: {path.stat().st_size / 1e6:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
