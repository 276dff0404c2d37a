"""The TrueType font every report embeds.

The PDF base fonts cover Latin only; a client called Белозёров, Παπαδόπουλος or
سعيد الهاشمي would print as empty boxes. DejaVu Sans covers all of these scripts
(including Arabic presentation forms) and is a standard package on every Linux
desktop (`fonts-dejavu-core`), so reports run from a checkout use the system copy; the
installed builds carry their own in resources/fonts (installer/build.py puts it there).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

from app.errors import BackdeskError

REGULAR_FILE = "DejaVuSans.ttf"
BOLD_FILE = "DejaVuSans-Bold.ttf"
# Where distributions put DejaVu; fontconfig is asked only when none of these has it.
_KNOWN_DIRS = (
    "/usr/share/fonts/truetype/dejavu",   # Debian, Ubuntu
    "/usr/share/fonts/dejavu-sans-fonts",  # Fedora
    "/usr/share/fonts/dejavu",             # openSUSE, older Fedora
    "/usr/share/fonts/TTF",                # Arch
    "/usr/local/share/fonts",
    "/Library/Fonts",
    str(Path.home() / "Library" / "Fonts"),
)
# Lets a packaged build point at a font it ships next to the program.
FONT_DIR_VARIABLE = "BACKDESK_FONT_DIR"
# Where an installed build carries its copy (the frozen tree keeps the checkout's layout),
# looked at before the system's: Windows and macOS have no DejaVu, and the copy that was
# tested with the build is the one it should print with.
BUNDLED_DIR = Path(__file__).resolve().parents[2] / "resources" / "fonts"


class ReportFontMissing(BackdeskError):
    pass


@dataclass(frozen=True)
class ReportFonts:
    regular: str  # reportlab font names, registered
    bold: str


def _from_fontconfig(file_name: str) -> Path | None:
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        listed = subprocess.run([fc_list, "--format", "%{file}\n"],  # noqa: S603
                                capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    # fc-match would substitute another font silently; only the file itself will do.
    for line in listed.stdout.splitlines():
        if Path(line).name == file_name and Path(line).is_file():
            return Path(line)
    return None


def find_font(file_name: str) -> Path:
    """The path of a DejaVu font file; ReportFontMissing says how to install it."""
    dirs = [os.environ.get(FONT_DIR_VARIABLE, ""), str(BUNDLED_DIR), *_KNOWN_DIRS]
    for folder in filter(None, dirs):
        candidate = Path(folder) / file_name
        if candidate.is_file():
            return candidate
    found = _from_fontconfig(file_name)
    if found is None:
        raise ReportFontMissing(
            f"The report font {file_name} (DejaVu Sans) is not installed, so client names "
            "in Cyrillic, Greek or Arabic could not be printed. Install it (Debian/Ubuntu: "
            "`sudo apt-get install fonts-dejavu-core`) or set "
            f"{FONT_DIR_VARIABLE} to a folder that holds it.")
    return found


@cache
def report_fonts() -> ReportFonts:
    """Register the report fonts with reportlab once per process."""
    names = ReportFonts("Backdesk-Sans", "Backdesk-Sans-Bold")
    for name, file_name in ((names.regular, REGULAR_FILE), (names.bold, BOLD_FILE)):
        path = find_font(file_name)
        try:
            pdfmetrics.registerFont(TTFont(name, str(path)))
        except TTFError as exc:
            raise ReportFontMissing(f"The report font {path} cannot be read ({exc}); "
                                    "reinstall fonts-dejavu-core.") from None
    pdfmetrics.registerFontFamily(names.regular, normal=names.regular, bold=names.bold,
                                  italic=names.regular, boldItalic=names.bold)
    return names
