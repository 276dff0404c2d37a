"""Replaces PyInstaller's hook for PySide6.QtGui (hooks given with `hookspath` win):
the same Qt libraries and plugins, less the plugins a desktop back office never loads.

Dropping a plugin here, before the analysis follows its libraries, also keeps out what
only it needs: the virtual keyboard brings QML and Qt Quick (~20 MB), the GTK theme
brings the build machine's Pango and Cairo, which would then be mixed with the user's
GTK at run time. Backdesk draws with Fusion and loads no translations (no QTranslator),
so Qt's translation catalogues stay out too.
"""

from fnmatch import fnmatch
from pathlib import PurePath

from PyInstaller.utils.hooks.qt import add_qt6_dependencies

UNUSED_PLUGINS = (
    "*qtvirtualkeyboardplugin*",  # on-screen keyboard for kiosks
    "*qgtk3*",                    # GTK platform theme
    # Platforms without a window system (embedded boards, VNC servers); xcb, wayland,
    # windows, cocoa, offscreen (tests, selfcheck) and minimal stay.
    "*qeglfs*", "*qlinuxfb*", "*qminimalegl*", "*qvnc*", "*qvkkhrdisplay*",
)

hiddenimports, binaries, datas = add_qt6_dependencies(__file__)
binaries = [(src, dest) for src, dest in binaries
            if not any(fnmatch(PurePath(src).name, pattern) for pattern in UNUSED_PLUGINS)
            and "egldeviceintegrations" not in PurePath(dest).parts]
datas = [(src, dest) for src, dest in datas if "translations" not in PurePath(dest).parts]
