"""Looks: the Fusion style, a palette and the style sheet for the light or dark scheme.

"system" follows QStyleHints.colorScheme() (Qt 6.5+) and re-applies when the desktop switches.
Colors live in resources/ui/palette.json, rules in resources/ui/style.qss (one template, two palettes).
"""

from __future__ import annotations

import json
import logging
import re
from functools import lru_cache

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from assistant.core.appdata import paths

logger = logging.getLogger(__name__)

SCHEMES = ("light", "dark")
_TOKEN = re.compile(r"\{\{(\w+)\}\}")


@lru_cache(maxsize=1)
def _palettes() -> dict[str, dict[str, str]]:
    raw = json.loads((paths.resources_dir() / "ui" / "palette.json").read_text(encoding="utf-8"))
    return {k: v for k, v in raw.items() if k in SCHEMES}


def colors(scheme: str) -> dict[str, str]:
    return dict(_palettes()[scheme if scheme in SCHEMES else "light"])


def system_scheme() -> str:
    """'dark' or 'light' from the platform; 'light' when the platform does not say."""
    app = QGuiApplication.instance()
    if app is None:
        return "light"
    scheme = app.styleHints().colorScheme()
    return "dark" if scheme == Qt.ColorScheme.Dark else "light"


def resolve(preference: str) -> str:
    return preference if preference in SCHEMES else system_scheme()


def style_sheet(scheme: str, base_pt: int = 10) -> str:
    values = colors(scheme)
    values.update(font_pt=str(base_pt), small_pt=str(max(7, base_pt - 2)), title_pt=str(base_pt + 3))
    chevron = paths.resources_dir() / "ui" / f"chevron-{scheme}.svg"
    values["chevron"] = chevron.as_posix()
    template = (paths.resources_dir() / "ui" / "style.qss").read_text(encoding="utf-8")

    def fill(match: re.Match) -> str:
        key = match.group(1)
        if key not in values:
            logger.warning("style sheet token %s has no color; using magenta so it is noticed", key)
            return "#ff00ff"
        return values[key]

    return _TOKEN.sub(fill, template)


def palette(scheme: str) -> QPalette:
    c = colors(scheme)
    pal = QPalette()
    roles = {
        QPalette.ColorRole.Window: c["window"],
        QPalette.ColorRole.WindowText: c["window_text"],
        QPalette.ColorRole.Base: c["base"],
        QPalette.ColorRole.AlternateBase: c["alt_base"],
        QPalette.ColorRole.Text: c["text"],
        QPalette.ColorRole.Button: c["button"],
        QPalette.ColorRole.ButtonText: c["text"],
        QPalette.ColorRole.Highlight: c["highlight"],
        QPalette.ColorRole.HighlightedText: c["highlighted_text"],
        QPalette.ColorRole.ToolTipBase: c["surface2"],
        QPalette.ColorRole.ToolTipText: c["text"],
        QPalette.ColorRole.PlaceholderText: c["placeholder"],
        QPalette.ColorRole.Link: c["link"],
    }
    for role, value in roles.items():
        pal.setColor(role, QColor(value))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText, QPalette.ColorRole.ButtonText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, QColor(c["muted"]))
    return pal


def apply(app: QApplication, preference: str = "system") -> str:
    """Style the whole app; returns the scheme used ('light' or 'dark')."""
    scheme = resolve(preference)
    # The same widgets everywhere; the native styles ignore much of the QSS. Set once: with a style sheet
    # applied, style().name() is "" (a style-sheet proxy), and setting the style again while a QWizard
    # exists crashes Qt (re-styling after the set-up wizard was shown aborted the process).
    if not app.property("assistant_fusion"):
        app.setStyle("Fusion")
        app.setProperty("assistant_fusion", True)
    app.setPalette(palette(scheme))
    base_pt = app.font().pointSize()
    base_pt = base_pt if 8 <= base_pt <= 16 else 10
    app.setStyleSheet(style_sheet(scheme, base_pt))
    app.setProperty("assistant_scheme", scheme)
    return scheme


def follow_system(app: QApplication, preference_getter) -> None:
    """Re-apply when the desktop switches light/dark (only while the preference is 'system')."""

    def changed(_scheme) -> None:
        pref = preference_getter()
        if pref not in SCHEMES:
            logger.info("system color scheme changed; re-styling")
            apply(app, pref)

    app.styleHints().colorSchemeChanged.connect(changed)


def app_icon() -> QIcon:
    folder = paths.resources_dir() / "ui"
    icon = QIcon()
    for name in ("icon.svg", "icon-256.png"):
        path = folder / name
        if path.exists():
            icon.addFile(str(path))
    return icon


def current_colors() -> dict[str, str]:
    app = QApplication.instance()
    scheme = app.property("assistant_scheme") if app is not None else None
    return colors(scheme or "light")
