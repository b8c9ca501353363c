# SKT900:1 "libcst cannot parse"
"""SKT900: valid Python that libcst's parser rejects is reported on line 1, never as a traceback."""
import socket


def answer(conn: socket.socket) -> None:
    fallback = () if conn else(lambda: ())  # libcst 1.x fails on `else(` followed by a lambda
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    conn.sendall(b"ok\n")
