"""installer/: what the build is made from, and the Linux build made and run for real.

The slow tests run `make installer` into a temporary folder (never reusing dist/) and
then run the frozen program headless, as staff would after installing it.
"""

from __future__ import annotations

import importlib.util
import os
import plistlib
import re
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from xml.etree import ElementTree

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from PIL import Image
from pypdf import PdfReader
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from app.version import __version__
from ui.app import DESKTOP_FILE

ROOT = Path(__file__).resolve().parents[1]
INSTALLER = ROOT / "installer"
APP_ID = "com.backdesk.Backdesk"
BROKER = "Cedar Markets Ltd"
PASSWORD = "installer-test-password"


def _build_script() -> ModuleType:
    """installer/build.py, loaded from its file: it is a script, not a package module."""
    spec = importlib.util.spec_from_file_location("installer_build", INSTALLER / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKDESK_")}
    return {**env, "QT_QPA_PLATFORM": "offscreen", **extra}


def _pins() -> dict[str, Requirement]:
    pins: dict[str, Requirement] = {}
    for line in (INSTALLER / "requirements-build.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            req = Requirement(line)
            pins[canonicalize_name(req.name)] = req
    return pins


def _pinned_version(req: Requirement) -> str:
    (spec,) = req.specifier
    assert spec.operator == "==", req
    return spec.version


# -- what the build is made from --------------------------------------------------
def test_the_build_lock_pins_every_runtime_dependency_and_no_test_tool() -> None:
    pins = _pins()
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    for text in pyproject["project"]["dependencies"]:
        wanted = Requirement(text)
        pin = pins.get(canonicalize_name(wanted.name))
        assert pin is not None, f"{wanted.name} is not in installer/requirements-build.txt"
        assert wanted.specifier.contains(_pinned_version(pin), prereleases=True), (
            f"the lock pins {pin}, pyproject wants {wanted}: regenerate the lock")
    for line in (INSTALLER / "requirements-build.in").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            tool = Requirement(line)
            assert pins[canonicalize_name(tool.name)].specifier == tool.specifier
    for test_tool in ("pytest", "pytest-qt", "hypothesis", "mypy", "ruff", "pypdf",
                      "import-linter", "schemathesis", "beancount"):
        assert canonicalize_name(test_tool) not in pins, test_tool
    # uvicorn[standard]'s uvloop has no Windows wheels: the lock must keep its marker.
    uvloop = pins["uvloop"]
    assert uvloop.marker is not None and "win32" in str(uvloop.marker)


def test_icons_in_every_standard_size_and_for_windows_and_mac(
        qapp: QApplication, tmp_path: Path) -> None:
    build = _build_script()
    pngs = build.render_icons(ROOT / "resources" / "icons" / "backdesk.svg", tmp_path)
    for size in (16, 24, 32, 48, 64, 128, 256, 512):
        path = tmp_path / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        assert pngs[size] == path
        image = QImage(str(path))
        assert (image.width(), image.height()) == (size, size)
        corner, middle = image.pixelColor(0, 0), image.pixelColor(size // 2, size // 2)
        assert corner.alpha() == 0 and middle.alpha() == 255  # drawn, on transparency
    assert (tmp_path / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg").is_file()
    build.windows_and_mac_icons(pngs, tmp_path)
    with Image.open(tmp_path / "backdesk.ico") as ico:
        assert ico.info["sizes"] == {(s, s) for s in (16, 24, 32, 48, 64, 128, 256)}
    with Image.open(tmp_path / "backdesk.icns") as icns:
        # Every size Finder and the Dock ask for, 16 to 512 points at 1x and 2x.
        assert {(16, 16, 2), (32, 32, 2), (128, 128, 1), (128, 128, 2), (256, 256, 1),
                (256, 256, 2), (512, 512, 1), (512, 512, 2)} <= set(icns.info["sizes"])


@pytest.fixture
def share(qapp: QApplication, tmp_path: Path) -> Path:
    """The Linux desktop files as build.py lays them out for a bundle."""
    build = _build_script()
    icons = tmp_path / "icons"
    build.render_icons(ROOT / "resources" / "icons" / "backdesk.svg", icons)
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    result: Path = build.linux_share(bundle, icons, __version__)
    return result


def _check_share(share: Path) -> None:
    desktop = share / "applications" / f"{APP_ID}.desktop"
    entry = dict(line.split("=", 1) for line in desktop.read_text().splitlines() if "=" in line)
    assert desktop.stem == DESKTOP_FILE  # what the app tells Wayland it is
    assert entry["Exec"] == "backdesk" and entry["Icon"] == APP_ID
    metainfo = ElementTree.parse(share / "metainfo" / f"{APP_ID}.metainfo.xml").getroot()
    assert metainfo.findtext("id") == APP_ID
    assert metainfo.findtext("launchable") == desktop.name
    release = metainfo.find("releases/release")
    assert release is not None and release.get("version") == __version__
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", release.get("date", ""))
    for size in (16, 24, 32, 48, 64, 128, 256, 512):
        image = QImage(str(share / "icons" / "hicolor" / f"{size}x{size}" / "apps"
                           / f"{APP_ID}.png"))
        assert (image.width(), image.height()) == (size, size)


def _validate(share: Path) -> None:
    """The freedesktop validators (`make test`'s system check installs them) accept the
    desktop entry and the metainfo."""
    for tool in ("desktop-file-validate", "appstreamcli"):
        assert shutil.which(tool), f"{tool} is missing: run installer/linux/system-deps.sh test"
    r = subprocess.run(["desktop-file-validate",
                        str(share / "applications" / f"{APP_ID}.desktop")],
                       capture_output=True, text=True, check=False)
    assert r.returncode == 0 and not r.stdout.strip(), r.stdout + r.stderr
    r = subprocess.run(["appstreamcli", "validate", "--no-net",
                        str(share / "metainfo" / f"{APP_ID}.metainfo.xml")],
                       capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "W:" not in r.stdout and "E:" not in r.stdout, r.stdout


def test_desktop_entry_metainfo_and_icons(share: Path) -> None:
    _check_share(share)
    _validate(share)


def test_mac_info_plist_is_high_dpi_and_takes_the_version_from_the_app() -> None:
    info = plistlib.loads((INSTALLER / "macos" / "Info.plist").read_bytes())
    assert info["NSHighResolutionCapable"] is True
    assert info["CFBundleIdentifier"] == APP_ID
    assert info["CFBundleExecutable"] == "Backdesk"
    assert info["CFBundleIconFile"] == "backdesk.icns"
    # Filled in by installer/backdesk.spec from app/version.py, never written here.
    assert "CFBundleShortVersionString" not in info and "CFBundleVersion" not in info


def test_inno_setup_script_takes_the_version_from_the_build() -> None:
    script = (INSTALLER / "windows" / "backdesk.iss").read_text(encoding="utf-8")
    assert "AppVersion={#AppVersion}" in script
    assert "#error" in script  # ISCC refuses to run without /DAppVersion
    assert __version__ not in script
    assert r'Filename: "{app}\Backdesk.exe"' in script  # what the spec names it


def _backdesk(*args: str, program: list[str], cwd: Path, password: str = PASSWORD,
              timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*program, *args], capture_output=True, text=True, cwd=cwd,
                          env=_env(BACKDESK_PASSWORD=password), timeout=timeout,
                          stdin=subprocess.DEVNULL, check=False)


def test_selfcheck_from_source(tmp_path: Path) -> None:
    program = [sys.executable, "-m", "app"]
    ws = str(tmp_path / "ws")
    r = _backdesk("--workspace", ws, "init", "--broker", BROKER, program=program, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    r = _backdesk("--workspace", ws, "selfcheck", "--sandbox", program=program, cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "12 parts opened and loaded" in r.stdout
    assert "sandbox gateway started and answered" in r.stdout
    assert "selfcheck: ok in" in r.stdout and "FAILED" not in r.stdout
    r = _backdesk("--workspace", ws, "selfcheck", program=program, cwd=ROOT,
                  password="not the password")
    assert r.returncode == 1
    assert "FAILED: the workspace did not open" in r.stdout and "not correct" in r.stdout


# -- the Linux build, made and run -----------------------------------------------
@dataclass(frozen=True)
class Built:
    dist: Path
    seconds: float
    log: str

    @property
    def bundle(self) -> Path:
        return self.dist / "backdesk"


def _megabytes(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*")
               if p.is_file() and not p.is_symlink()) / 1e6


def _build(out: Path) -> Built:
    started = time.perf_counter()
    r = subprocess.run(["make", "-C", str(ROOT), "installer", f"DIST={out / 'dist'}",
                        f"BUILD_WORK={out / 'work'}"], capture_output=True, text=True,
                       env=_env(), timeout=1200, stdin=subprocess.DEVNULL, check=False)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-4000:]
    return Built(out / "dist", time.perf_counter() - started, r.stdout)


# One test, one build: parts of it spread over test workers would each build (and race
# on .venv-build), and a module fixture is built again whenever a worker comes back to
# this module.
@pytest.mark.slow
def test_the_linux_build_starts_prints_a_report_and_installs(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert sys.platform.startswith("linux"), "the build made here is the Linux one"
    built = _build(tmp_path / "installer")
    run = tmp_path / "run"
    run.mkdir()
    _check_program(built, run, capsys)
    _check_desktop_files(built)
    _check_deb(built)


def _check_program(built: Built, tmp_path: Path,
                   capsys: pytest.CaptureFixture[str]) -> None:
    """The built program starts offscreen, opens a fresh workspace, prints a report."""
    program = [str(built.bundle / "backdesk")]
    internal = built.bundle / "_internal"
    # Nothing for tests or type checking went in (pure-Python modules live in the PYZ
    # archive, so its table is read); the migrations went in as files.
    (toc,) = (built.dist.parent / "work").rglob("PYZ-00.toc")
    frozen = set(re.findall(r"^\s*\[?\('([\w.]+)',", toc.read_text(), flags=re.MULTILINE))
    assert {"requests", "app.services.workspace", "sqlalchemy"} <= frozen
    for left_out in ("pytest", "_pytest", "hypothesis", "mypy", "PyInstaller", "tkinter"):
        assert not any(m == left_out or m.startswith(left_out + ".") for m in frozen), left_out
        assert not (internal / left_out).exists(), left_out
    # TLS comes from the system's OpenSSL, which its security updates reach.
    assert not [p.name for p in internal.rglob("*") if p.name.startswith(("libssl.so",
                                                                          "libcrypto.so"))]
    assert sorted(p.name for p in (internal / "app" / "migrations" / "versions").glob("*.py"))
    assert (internal / "app" / "migrations" / "env.py").is_file()

    started = time.perf_counter()
    r = _backdesk("--version", program=program, cwd=tmp_path)
    version_seconds = time.perf_counter() - started
    assert r.returncode == 0 and r.stdout == f"Backdesk {__version__}\n", r.stderr

    ws = str(tmp_path / "fresh workspace")
    r = _backdesk("--workspace", ws, "init", "--broker", BROKER, "--admin", "admin",
                  "--admin-name", "Ada Admin", program=program, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert f"Created an encrypted workspace at {ws} for {BROKER}." in r.stdout

    # Screening transliterates every name with anyascii's data files and the
    # package's name variants: both must be in the bundle.
    un_list = ROOT / "resources" / "sanctions" / "un-consolidated.xml"
    r = _backdesk("--workspace", ws, "screening", "import", "--source", "un", str(un_list),
                  program=program, cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Imported UN Consolidated" in r.stdout

    pdf = tmp_path / "management.pdf"
    month = f"{datetime.now(UTC):%Y-%m}"
    r = _backdesk("--workspace", ws, "report", "management", "--period", month,
                  "--out", str(pdf), program=program, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    reader = PdfReader(pdf)
    assert len(reader.pages) >= 1
    assert BROKER in "".join(page.extract_text() for page in reader.pages)
    fonts = {str(f.get_object()["/BaseFont"])
             for f in reader.pages[0]["/Resources"]["/Font"].values()}
    assert any(name.endswith("+DejaVuSans") for name in fonts), fonts

    # Timed line by line: from launch to the main window shown on the unlocked workspace.
    started = time.perf_counter()
    output, window_seconds = [], None
    with subprocess.Popen([*program, "--workspace", ws, "selfcheck", "--sandbox"],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          cwd=tmp_path, env=_env(BACKDESK_PASSWORD=PASSWORD),
                          stdin=subprocess.DEVNULL) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            output.append(line)
            if window_seconds is None and "main window shown" in line:
                window_seconds = time.perf_counter() - started
        code = proc.wait(timeout=180)
    selfcheck_seconds = time.perf_counter() - started
    out = "".join(output)
    assert code == 0, out
    assert "(installed build)" in out
    # The report fonts come from the bundle, not from the build machine's system.
    assert f"report font: {internal / 'resources' / 'fonts' / 'DejaVuSans.ttf'}" in out
    assert "12 parts opened and loaded" in out
    assert "sandbox gateway started and answered" in out  # uvicorn and FastAPI
    assert "not found" not in out and "FAILED" not in out
    assert window_seconds is not None

    with capsys.disabled():
        print(f"\ninstaller: built in {built.seconds:.0f} s; bundle {_megabytes(built.bundle):.0f}"
              f" MB; --version in {version_seconds:.2f} s; from launch to the main window on "
              f"the unlocked workspace {window_seconds:.2f} s; whole selfcheck (every part, "
              f"About, sandbox gateway) {selfcheck_seconds:.1f} s")


def _check_desktop_files(built: Built) -> None:
    share = built.bundle / "share"
    _check_share(share)
    _validate(share)
    fonts = built.bundle / "_internal" / "resources" / "fonts"
    assert {p.name for p in fonts.iterdir()} == {"DejaVuSans.ttf", "DejaVuSans-Bold.ttf",
                                                 "LICENSE-DejaVu.txt"}


def _check_deb(built: Built) -> None:
    """The .deb puts the bundle in /opt, `backdesk` on PATH and the desktop files."""
    assert shutil.which("dpkg-deb"), "make installer's system check installs dpkg-dev"
    (deb,) = built.dist.glob(f"backdesk_{__version__}_*.deb")
    info = subprocess.run(["dpkg-deb", "--info", str(deb)], capture_output=True, text=True,
                          check=True).stdout
    fields = dict(re.findall(r"^ (\w[\w-]*): (.*)$", info, flags=re.MULTILINE))
    assert fields["Package"] == "backdesk" and fields["Version"] == __version__
    depends = {d.split(" ")[0] for d in fields["Depends"].split(", ")}
    # Worked out from the binaries: libc, and the X11 libraries Qt's xcb plugin loads.
    assert {"libc6", "libxcb1", "libxkbcommon-x11-0", "libfontconfig1", "libssl3"} <= depends
    assert int(fields["Installed-Size"]) > 100_000  # KiB
    contents = subprocess.run(["dpkg-deb", "--contents", str(deb)], capture_output=True,
                              text=True, check=True).stdout
    lines = contents.splitlines()
    listed = {line.split()[5].removeprefix(".") for line in lines}
    assert "/opt/backdesk/backdesk" in listed
    assert "/opt/backdesk/_internal/resources/fonts/DejaVuSans.ttf" in listed
    assert any(" ./usr/bin/backdesk -> /opt/backdesk/backdesk" in line for line in lines)
    assert f"/usr/share/applications/{APP_ID}.desktop" in listed
    assert f"/usr/share/metainfo/{APP_ID}.metainfo.xml" in listed
    for size in (16, 24, 32, 48, 64, 128, 256, 512):
        assert f"/usr/share/icons/hicolor/{size}x{size}/apps/{APP_ID}.png" in listed
    assert all(line.split()[1] == "root/root" for line in lines)
    # Root runs what is installed: nothing in it writable by group or others.
    writable = [line for line in lines if not line.startswith("l") and "w" in
                line.split()[0][4:6] + line.split()[0][7:9]]
    assert writable == []
    assert not any(path.startswith("/opt/backdesk/share") for path in listed)
