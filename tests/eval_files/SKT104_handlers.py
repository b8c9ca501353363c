"""SKT104 error-swallowed, spec v2.6: handlers in any spelling, outside loops, and suppress()."""
import contextlib
import socket
import socket as so
from socket import error as socket_error


def banner_then_command(host):
    s = socket.create_connection((host, 25))
    try:
        banner = s.recv(64)
    except:  # SKT104:5 "'except everything'" 's' "goes on with the same socket"
        pass
    s.sendall(b"HELO client\r\n")  # SKT101:5 sendall() 's'
    s.close()  # SKT301:5 's' "no shutdown(SHUT_WR)"


def aliased_module(conn):
    while True:
        try:
            data = conn.recv(10)
        except so.error:  # SKT104:9 "'except socket.error'" 'conn' "round the loop"
            continue
        if not data:
            break
        conn.sendall(data)


def imported_error(conn):
    while True:
        try:
            data = conn.recv(10)
        except socket_error:  # SKT104:9 "'except socket.error'" 'conn'
            continue
        if not data:
            break


def environment_error(conn):
    while True:
        try:
            data = conn.recv(10)
        except EnvironmentError:  # SKT104:9 "'except EnvironmentError'" 'conn'
            continue
        if not data:
            break


def suppressed(conn):
    while True:
        with contextlib.suppress(OSError):  # SKT104:9 "'suppress(OSError)'" 'conn' "round the loop"
            data = conn.recv(10)
            if not data:
                break
        conn.sendall(b"x")


# Look-alikes


def suppress_retry_only(conn):
    while True:
        with contextlib.suppress(BlockingIOError):  # a reset goes through it: an exception source
            data = conn.recv(10)  # SKT101:20 recv() 'conn'
        if not data:
            break
    conn.close()


def error_then_close(host):
    s = socket.create_connection((host, 25))
    try:
        banner = s.recv(64)
    except OSError:
        banner = None
    s.close()
    return banner


def error_then_teardown(conn):
    try:
        request = conn.recv(1024)
    except OSError:
        request = b""
    try:
        conn.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    conn.close()
    return request


def timeout_outside_loop(s):
    try:
        banner = s.recv(64)
    except socket.timeout:
        banner = b""
    s.sendall(b"NOOP\r\n")
    return banner


class Selector:
    def _rebuild_wakeup_pair(self):
        self._wakeup_r.close()
        self._wakeup_r, self._wakeup_w = socket.socketpair()

    def poll(self):
        while True:
            try:
                data = self._wakeup_r.recv(1024)
            except Exception:
                self._rebuild_wakeup_pair()  # closes and replaces the socket, one level deep
                continue
            if not data:
                return
            self.process()
