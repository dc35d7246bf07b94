"""Help > About: what this is and the versions it runs on.

Versions come from package metadata (importlib.metadata), so `max` is never imported for this: importing
it costs most of a second and a few hundred MB in the GUI process.
"""
from __future__ import annotations

import platform
from importlib.metadata import PackageNotFoundError, version

from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

# (label, distribution name) in the order shown
DISTRIBUTIONS = (("PySide6", "PySide6-Essentials"), ("PyTorch", "torch"), ("MAX", "max"),
                 ("Mojo", "mojo-compiler"), ("pyqtgraph", "pyqtgraph"), ("pybullet", "pybullet"),
                 ("NumPy", "numpy"), ("ONNX Runtime", "onnxruntime"))


def _dist_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def versions() -> dict[str, str]:
    """{"Python": ..., "Qt": ..., "PySide6": ..., "PyTorch": ..., "MAX": ..., "Mojo": ..., ...}"""
    out = {"Motion Studio": _dist_version("motion-studio") if _installed("motion-studio") else "0.1.0 (source tree)",
           "Python": platform.python_version(), "Qt": qVersion()}
    out.update({label: _dist_version(dist) for label, dist in DISTRIBUTIONS})
    return out


def _installed(name: str) -> bool:
    try:
        version(name)
        return True
    except PackageNotFoundError:
        return False


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("About Motion Studio")
        rows = "".join(f"<tr><td>{k}</td><td style='padding-left:12px'><b>{v}</b></td></tr>"
                       for k, v in versions().items())
        self.label = QLabel(
            "<h3>Motion Studio</h3>"
            "<p>Motion capture viewer, RSMT neural motion transitions and DeepMimic policies,<br>"
            "with a PyTorch reference and its MAX / Mojo port side by side.</p>"
            f"<table>{rows}</table>", self)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        layout.addWidget(buttons)
