"""Running the application under uvicorn on a socket bound beforehand.

Binding first turns a port in use into a one-line error before anything starts, and lets tests and
benchmarks ask for port 0 (any free port) and read back which one they got.
"""

from __future__ import annotations

import errno
import signal
import socket
from types import FrameType

import uvicorn
from fastapi import FastAPI

from seqkit.errors import ConfigError


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port; ConfigError when the port is taken or the host unknown."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except socket.gaierror as e:
        raise ConfigError(f"--host {host}: {e.strerror}") from None
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # restart at once after a stop, as uvicorn
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        if e.errno == errno.EADDRINUSE:
            raise ConfigError(f"{host}:{port} is already in use; stop what listens there or pick another "
                              "--port") from None
        raise ConfigError(f"cannot listen on {host}:{port}: {e.strerror}") from None
    sock.listen(2048)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class Server(uvicorn.Server):
    """uvicorn's server, saying where it listens once its application has started."""

    def __init__(self, app: FastAPI, sock: socket.socket, announce: bool = True):
        super().__init__(uvicorn.Config(app, log_level="warning", access_log=False,
                                        timeout_graceful_shutdown=5))
        self.sock, self.announce = sock, announce

    @property
    def url(self) -> str:
        return url_of(self.sock)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and self.announce:
            print(f"seqkit serve: listening on {self.url} (the page at /, the API at /docs; Ctrl-C stops)",
                  flush=True)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self.signals.append(sig)
        super().handle_exit(sig, frame)

    def serve_forever(self) -> None:
        """Serve until Ctrl-C (SIGINT) or SIGTERM, or until `should_exit` is set from another thread.
        Ctrl-C ends in KeyboardInterrupt (`seqkit serve: interrupted`, exit 130) whatever SIGINT handler
        uvicorn restores and re-raises the signal to."""
        self.signals: list[int] = []
        self.run(sockets=[self.sock])
        if signal.SIGINT in self.signals:
            raise KeyboardInterrupt
