"""SKT302 shutdown-without-drain."""
import socket
import time


def half_close_then_close(conn, response):
    try:
        conn.recv(1024)
        conn.sendall(response)
        conn.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    finally:
        conn.close()  # SKT302:9 'conn' "without reading until b''"


def one_receive_is_not_a_drain(conn):
    with conn:  # SKT302:5 'conn' "without reading until b''"
        conn.recv(1024)
        conn.sendall(b"bye")
        try:
            conn.shutdown(socket.SHUT_RDWR)
            conn.recv(1024)
        except OSError:
            pass


def sleeps_after_shutdown(conn):
    try:
        conn.recv(1024)
        conn.sendall(b"bye")
        conn.shutdown(socket.SHUT_WR)
        time.sleep(0.5)
    except OSError:
        pass
    conn.close()  # SKT302:5 'conn' "without reading until b''"


# Look-alikes: drained


def bounded_drain(conn, response):
    try:
        conn.recv(1024)
        conn.sendall(response)
        conn.shutdown(socket.SHUT_WR)
        for _ in range(16):
            if not conn.recv(4096):
                break
    except OSError:
        pass
    conn.close()


def timed_drain(conn, deadline):
    try:
        conn.recv(1024)
        conn.sendall(b"ok")
        conn.shutdown(socket.SHUT_WR)
        while time.monotonic() < deadline:
            chunk = conn.recv(4096)
            if not chunk:
                break
    except OSError:
        pass
    conn.close()


def read_to_end(conn):
    try:
        conn.recv(1024)
        conn.sendall(b"ok")
        conn.shutdown(socket.SHUT_WR)
        conn.makefile("rb").read()
    except OSError:
        pass
    conn.close()
