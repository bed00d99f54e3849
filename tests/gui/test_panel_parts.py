"""The parts the panels share: sender picker, record table, empty state, errors, keys, calls."""

from __future__ import annotations

import threading

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from console.domain.phone import SenderKind
from console.gateway.account import SenderOption
from console.gateway.checks import SendRefused
from console.runtime import Bridge, Runtime
from console.ui.panel_kit import ServicePanel, counted, is_trial
from console.ui.panel_parts import (
    DEFAULT_SENDER,
    add_senders,
    chosen_sender,
    empty_state,
    error_label,
    record_table,
    sender_combo,
    shortcut,
    show_error,
)

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")

SERVICE = "MG" + "a" * 32


def rows(*values: str) -> QStandardItemModel:
    model = QStandardItemModel(0, 2)
    for value in values:
        model.appendRow([QStandardItem(value), QStandardItem(value.upper())])
    return model


def test_sender_picker_answers_what_was_chosen(qtbot: QtBot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    combo = sender_combo(parent)
    assert combo.accessibleName() == "From"
    assert combo.itemText(0) == DEFAULT_SENDER
    assert chosen_sender(combo) == (None, None)  # the profile's default
    add_senders(
        combo,
        [
            SenderOption("+14155550100", "Main line", SenderKind.LONG_CODE, "PN1"),
            SenderOption(SERVICE, "Support service", SenderKind.MESSAGING_SERVICE, "MG1"),
        ],
    )
    assert [combo.itemText(i) for i in range(combo.count())] == [
        DEFAULT_SENDER,
        "Main line",
        "Support service",
    ]
    combo.setCurrentIndex(1)
    assert chosen_sender(combo) == ("+14155550100", None)
    combo.setCurrentIndex(2)
    assert chosen_sender(combo) == (None, SERVICE)


def test_record_table_selects_whole_rows_sorted_with_one_stretching_column(qtbot: QtBot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    model = rows("b", "c", "a")
    table = record_table(
        parent, model, "Things", sort_by=(0, Qt.SortOrder.DescendingOrder), stretch=1
    )
    assert table.accessibleName() == "Things"
    assert table.selectionBehavior() is QAbstractItemView.SelectionBehavior.SelectRows
    assert table.selectionMode() is QAbstractItemView.SelectionMode.SingleSelection
    assert table.isSortingEnabled()
    assert [model.item(r).text() for r in range(3)] == ["c", "b", "a"]  # sorted in place
    assert table.verticalHeader().isHidden()  # one compact line a row
    header = table.horizontalHeader()
    assert header.sectionResizeMode(0) is QHeaderView.ResizeMode.ResizeToContents
    assert header.sectionResizeMode(1) is QHeaderView.ResizeMode.Stretch

    several = record_table(parent, rows(), "Many", single=False)
    assert several.selectionMode() is QAbstractItemView.SelectionMode.ExtendedSelection
    assert not several.isSortingEnabled()


def test_empty_state_stands_in_for_the_view_while_there_are_no_rows(qtbot: QtBot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    model = rows()
    view = record_table(parent, model, "Things")
    label = empty_state("Nothing yet: add one.", "No things", view, model, parent)
    assert label.accessibleName() == "No things"
    assert label.alignment() & Qt.AlignmentFlag.AlignHCenter
    model.appendRow([QStandardItem("x"), QStandardItem("X")])
    assert label.isHidden() and not view.isHidden()
    model.clear()  # a reset
    assert not label.isHidden() and view.isHidden()


def test_error_label_explains_failures_in_place(qtbot: QtBot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    label = error_label("Send error", parent)
    assert label.isHidden() and label.accessibleName() == "Send error"
    show_error(label, SendRefused(21610, "+14155550177 has opted out"))
    assert not label.isHidden()
    assert "error 21610" in label.text() and "What to do:" in label.text()
    assert 'href="https://www.twilio.com/docs/errors/21610"' in label.text()
    assert label.property("tone") == "bad"
    show_error(label, "Cannot read people.csv: save it as UTF-8 CSV and retry.")
    assert label.text() == "Cannot read people.csv: save it as UTF-8 CSV and retry."


def test_shortcut_answers_each_of_its_keys(qtbot: QtBot) -> None:
    edit = QLineEdit()
    qtbot.addWidget(edit)
    pressed: list[str] = []
    shortcut(edit, lambda: pressed.append(edit.text()), "Ctrl+Return", "Ctrl+Enter")
    edit.show()
    qtbot.waitExposed(edit)
    edit.activateWindow()
    edit.setFocus()
    qtbot.waitUntil(edit.hasFocus)
    edit.setText("go")
    QTest.keyClick(edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClick(
        edit,
        Qt.Key.Key_Enter,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.KeypadModifier,
    )
    QTest.keyClick(edit, Qt.Key.Key_Return)  # without Ctrl: not the shortcut
    assert pressed == ["go", "go"]


class Probe(ServicePanel, QWidget):
    """The smallest panel: what ServicePanel needs, nothing else."""

    def __init__(self, runtime: Runtime, bridge: Bridge) -> None:
        super().__init__()
        self.runtime, self.bridge = runtime, bridge


async def answer() -> tuple[int, str]:
    return 42, threading.current_thread().name


def test_call_answers_on_the_gui_thread_and_never_a_destroyed_panel(
    qtbot: QtBot, runtime: Runtime, bridge: Bridge
) -> None:
    alive, gone = Probe(runtime, bridge), Probe(runtime, bridge)
    qtbot.addWidget(alive)
    seen: list[tuple[tuple[int, str], str]] = []
    dropped: list[tuple[int, str]] = []
    gone.call(answer(), dropped.append)
    shiboken6.delete(gone)  # closed before the GUI thread could take its answer
    alive.call(answer(), lambda value: seen.append((value, threading.current_thread().name)))
    qtbot.waitUntil(lambda: len(seen) == 1)  # answers arrive in order: the first was handled
    [((value, ran_on), answered_on)] = seen
    assert value == 42
    assert ran_on != threading.main_thread().name  # the coroutine ran on the runtime
    assert answered_on == threading.main_thread().name
    assert dropped == []


def test_is_trial_reads_the_account_type() -> None:
    class Summary:
        def __init__(self, type_: str) -> None:
            self.type = type_

    assert is_trial(Summary("Trial"))
    assert not is_trial(Summary("Full"))
    assert not is_trial(None)  # not known yet


def test_counted_says_one_row_and_two_rows() -> None:
    assert [counted(n, "row") for n in (0, 1, 2, 1500)] == [
        "0 rows",
        "1 row",
        "2 rows",
        "1,500 rows",
    ]
    assert (
        counted(1, "reply", "replies") == "1 reply"
        and counted(3, "reply", "replies") == "3 replies"
    )
