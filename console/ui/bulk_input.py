"""The inputs of the bulk send dialog: recipients (pasted or imported CSV), sender and template.

Left: the recipients box, the CSV import (read off the GUI thread) and what was understood of
the columns (which one holds the numbers, which placeholders the template uses). Right: the
sender picker, the message template and what one message costs. ``changed`` tells the dialog
to check the rows again; it parses and checks them (:mod:`console.ui.bulk`).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from console.ui.compose_fields import BodyEdit
from console.ui.models.bulk_rows import Recipients, placeholders
from console.ui.models.worker import Worker
from console.ui.panel_kit import counted, wrap_label
from console.ui.panel_parts import buddy, sender_combo

EXAMPLE = "phone,name\n+14155550100,Ada\n+14155550101,Grace"


class BulkInputs(QSplitter):
    """Recipients on the left; sender, template and its cost on the right (see module doc)."""

    changed = Signal()  # recipients, template or sender changed
    fileLoaded = Signal(str)  # the path whose text is now in the recipients box
    fileFailed = Signal(str)  # why a file could not be read

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._files = Worker("bulk-file", self)  # a chosen file may be large or on a slow mount
        self.input_edit = QPlainTextEdit(self)
        self.input_edit.setTabChangesFocus(True)
        self.input_edit.setPlaceholderText(
            "Paste numbers, one per line, or CSV with a header, e.g.\n" + EXAMPLE
        )
        self.input_edit.setAccessibleName("Recipients")
        self.import_button = QPushButton("&Import CSV…", self)
        self.import_button.setAccessibleName("Import recipients from a CSV file")
        self.columns_label = wrap_label("", self)
        self.columns_label.setAccessibleName("Columns")
        self.from_combo = sender_combo(self)
        self.body_edit = BodyEdit(self)
        self.body_edit.setPlaceholderText("Hello {name}, …  ({column} placeholders are filled)")
        self.body_edit.setAccessibleName("Message template")
        self.counter = wrap_label("", self)
        self.counter.setAccessibleName("Message cost")

        left = QWidget(self)
        lbox = QVBoxLayout(left)
        lbox.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        head.addWidget(buddy("&Recipients:", self.input_edit, left), 1)
        head.addWidget(self.import_button)
        lbox.addLayout(head)
        lbox.addWidget(self.input_edit, 1)
        lbox.addWidget(self.columns_label)
        right = QWidget(self)
        form = QFormLayout(right)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setContentsMargins(0, 0, 0, 0)
        from_label = buddy("&From:", self.from_combo, right)
        body_label = buddy("&Message:", self.body_edit, right)
        form.addRow(from_label, self.from_combo)
        form.addRow(body_label, self.body_edit)
        form.addRow("", self.counter)
        self.addWidget(left)
        self.addWidget(right)

        self.input_edit.textChanged.connect(self.changed)
        self.body_edit.textChanged.connect(self.changed)
        self.from_combo.currentIndexChanged.connect(self.changed)
        self.import_button.clicked.connect(self.import_csv)

    def set_editable(self, on: bool) -> None:
        """Allow changes (or not: the rows of a running job are fixed)."""
        for w in (self.input_edit, self.body_edit, self.from_combo, self.import_button):
            w.setEnabled(on)

    def describe(self, rec: Recipients, template: str) -> None:
        """Say which column holds the numbers and which placeholders the template fills."""
        if not rec.rows:
            self.columns_label.setText("No recipients yet.")
            return
        used = set(placeholders(template))
        cols = ", ".join(
            "{" + c + "}" + (" ✓" if c in used else "") for c in rec.columns if c != rec.to_column
        )
        text = f"{counted(len(rec.rows), 'row')}; numbers from column '{rec.to_column}'."
        if cols:
            text += f" Placeholders: {cols}."
        self.columns_label.setText(" ".join([text, *rec.problems]))

    def import_csv(self) -> None:
        """Load a CSV file into the recipients box."""
        path, _ = QFileDialog.getOpenFileName(
            self.window(),
            "Import recipients",
            str(Path.home()),
            "CSV files (*.csv *.txt);;All files (*)",
        )
        if path:
            self.load_file(Path(path))

    def load_file(self, path: Path) -> None:
        """Read a CSV file into the recipients box (off the GUI thread)."""

        def loaded(text: str) -> None:
            self.input_edit.setPlainText(text)
            self.fileLoaded.emit(str(path))

        def failed(exc: BaseException) -> None:
            self.fileFailed.emit(f"Cannot read {path}: {exc}. Save it as UTF-8 CSV and retry.")

        self._files.submit(lambda: path.read_text(encoding="utf-8-sig"), loaded, failed)
