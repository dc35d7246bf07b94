"""Joint map editor: which joint of a clip is which body part of the model's skeleton (`motion.joint_map`), one
row per part, to fix a map the automatic matching got wrong. Single-joint parts pick a clip joint from a
combo box (blank: the part is absent, for collars, hands and toes); chains (spine, neck) take the clip's
joints from the hips up, comma-separated. Load... / Save... read and write the map as JSON (the CLI's
`retarget --map / --save-map` and `transition --map` take the same files)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFileDialog, QLabel, QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout)

from motion.errors import MotionFileError
from motion.joint_map import JointMap, load_map, save_map
from motion.joint_roles import CHAIN_PARTS
from motion.skeleton import Skeleton

MAP_FILTER = "Joint maps (*.json)"


class JointMapDialog(QDialog):
    """Edits `joint_map`'s side for `skeleton` (the clip's); `edited_map` holds the result once accepted."""

    def __init__(self, parent, joint_map: JointMap, skeleton: Skeleton, clip_name: str):
        super().__init__(parent)
        self.setWindowTitle(f"Joint map: {clip_name}")
        self.setObjectName("joint_map_dialog")
        self.skeleton, self.clip_name = skeleton, clip_name
        self.joint_map = joint_map
        self.edited_map: JointMap | None = None
        self.table = QTableWidget(0, 3, self)
        self.table.setHorizontalHeaderLabels(["part", "model joint(s)", f"{clip_name} joint(s)"])
        self.table.verticalHeader().setVisible(False)
        self.combos: dict[str, QComboBox] = {}
        self._fill(joint_map)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)

        load = QPushButton("Load...", self)
        load.clicked.connect(self.load)
        save = QPushButton("Save...", self)
        save.clicked.connect(self.save)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.addButton(load, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(save, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Pick the clip's joint for each body part of the model. Spine and neck: the clip's "
                                "joints from the hips up, separated by commas.", self))
        layout.addWidget(self.table, 1)
        self.error = QLabel(self)  # what is wrong with the map as edited (it stays open until fixed)
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c03030")
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(640, 780)

    def _fill(self, joint_map: JointMap) -> None:
        pairs = joint_map.pairs(self.skeleton)
        self.table.setRowCount(len(pairs))
        for row, (part, clip_joints, model_joints) in enumerate(pairs):
            for column, text in ((0, part), (1, ", ".join(model_joints) or "-")):
                item = QTableWidgetItem(text)
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.table.setItem(row, column, item)
            combo = QComboBox(self.table)
            if part in CHAIN_PARTS:
                combo.setEditable(True)
                combo.addItem(", ".join(clip_joints))
            else:
                combo.addItems([""] + list(self.skeleton.names))
                combo.setCurrentText(clip_joints[0] if clip_joints else "")
            self.table.setCellWidget(row, 2, combo)
            self.combos[part] = combo

    def parts(self) -> dict:
        """The parts as the table gives them now (joint_map's format)."""
        out = {}
        for part, combo in self.combos.items():
            text = combo.currentText().strip()
            if part in CHAIN_PARTS:
                out[part] = [n.strip() for n in text.split(",") if n.strip()]
            else:
                out[part] = text or None
        return out

    def current_map(self) -> JointMap:
        """The map with the table's parts (MotionFileError naming the part that is wrong)."""
        return self.joint_map.with_parts(self.skeleton, self.parts(), self.clip_name)

    def accept(self) -> None:
        try:
            self.edited_map = self.current_map()
        except MotionFileError as e:
            self.error.setText(str(e))
            return
        super().accept()

    def load(self, path: str | None = None) -> bool:
        """Read a map file that has this clip's rig; its parts fill the table."""
        path = path or QFileDialog.getOpenFileName(self, "Load joint map", "", MAP_FILTER)[0]
        if not path:
            return False
        try:
            loaded = load_map(path)
            rig = loaded.rig_for(self.skeleton, path)
        except MotionFileError as e:
            self.error.setText(str(e))
            return False
        for part, combo in self.combos.items():
            value = rig.parts.get(part)
            combo.setCurrentText(", ".join(value) if part in CHAIN_PARTS else (value or ""))
        self.error.setText("")
        return True

    def save(self, path: str | None = None) -> bool:
        try:
            joint_map = self.current_map()
        except MotionFileError as e:
            self.error.setText(str(e))
            return False
        path = path or QFileDialog.getSaveFileName(self, "Save joint map", f"{self.clip_name}.json", MAP_FILTER)[0]
        if path:
            save_map(joint_map, path)
        return bool(path)
