"""One console per data directory: a second launch raises the first window and exits.

The first instance listens on a QLocalServer named after the data directory; a second launch
connects, says ``activate`` and leaves, instead of fighting over the database and the webhook
port. A server name left behind by a crashed instance is removed and taken over.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)

MESSAGE = b"activate\n"
TIMEOUT_MS = 1500


def server_name(data_dir: Path) -> str:
    """The local server name for a data directory (same directory, same name)."""
    digest = hashlib.sha256(str(data_dir.expanduser().resolve()).encode()).hexdigest()[:16]
    return f"sms-console-{digest}"


class SingleInstance(QObject):
    """The first instance's listener, or a second instance's message to it."""

    activated = Signal()  # another launch asked this instance to show itself

    def __init__(self, data_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = server_name(data_dir)
        self._server: QLocalServer | None = None

    def notify_running(self) -> bool:
        """Ask a running instance to show itself; True if one answered."""
        socket = QLocalSocket()
        socket.connectToServer(self.name)
        if not socket.waitForConnected(TIMEOUT_MS):
            return False
        socket.write(MESSAGE)
        socket.flush()
        socket.waitForBytesWritten(TIMEOUT_MS)
        socket.disconnectFromServer()
        log.info("another console already runs on this data directory; asked it to show itself")
        return True

    def listen(self) -> bool:
        """Become the instance others talk to (replacing a stale name); False if impossible."""
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.name):
            QLocalServer.removeServer(self.name)  # left behind by a crashed instance
            if not server.listen(self.name):
                log.warning("single-instance guard unavailable: %s", server.errorString())
                return False
        server.newConnection.connect(self._accept)
        self._server = server
        return True

    def close(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.close()
            self._server = None

    @Slot()
    def _accept(self) -> None:
        assert self._server is not None
        while (socket := self._server.nextPendingConnection()) is not None:
            # no Python closure may hold the socket: Qt deletes it (deleteLater) when it closes
            socket.readyRead.connect(self._ready_read)
            socket.disconnected.connect(socket.deleteLater)
            if socket.bytesAvailable():
                self._read(socket)

    @Slot()
    def _ready_read(self) -> None:
        socket = self.sender()
        if isinstance(socket, QLocalSocket):
            self._read(socket)

    def _read(self, socket: QLocalSocket) -> None:
        data = bytes(socket.readAll().data())
        if MESSAGE.strip() in data:
            self.activated.emit()
