"""SKT301-SKT304, spec v2.6: the exchange before the close decides, clients included."""
import socket
import socket as so
import time


def smtp_quit(host):
    s = socket.create_connection((host, 25))
    try:
        greeting = s.recv(512)
        s.sendall(b"QUIT\r\n")
    finally:
        s.close()  # SKT301:9 's' "no shutdown(SHUT_WR)"


def client_sleeps(host):
    with socket.create_connection((host, 25)) as s:
        greeting = s.recv(512)
        s.sendall(b"QUIT\r\n")
        time.sleep(0.5)  # SKT303:9 sleep() 's'


def shutdown_in_try(conn):
    try:
        request = conn.recv(1024)
        conn.sendall(b"reply")
        conn.shutdown(socket.SHUT_WR)
    finally:
        conn.close()  # SKT302:9 'conn' "without reading until b''"


# Look-alikes


def http_get(host):
    with socket.create_connection((host, 80)) as s:
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        return s.recv(65536)  # the last exchange is the reply: nothing unread


def shutdown_protected_over_lines(sock):
    try:
        sock.shutdown(
            socket.SHUT_RDWR
        )
    except (OSError, socket.error):
        pass
    sock.close()


def shutdown_protected_alias(sock):
    try:
        sock.shutdown(so.SHUT_RDWR)
    except so.error:
        pass
    sock.close()


def shutdown_protected_environment_error(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except EnvironmentError:
        pass
    sock.close()


SOCKET_ERROR = OSError


class Transport:
    def close(self):
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except compat.SOCKET_ERROR:  # a compat alias of OSError
            pass
        self._sock.close()

    def disconnect(self):
        if self.sock is not None:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except socket.error:
                pass
        if self.sock is not None:  # not None: shutdown() was called on it
            self.sock.close()
        self.sock = None
