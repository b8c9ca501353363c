"""SKT103 eof-ignored: a receive loop that never leaves on b''."""
import socket
import time


def pump(src, dst):
    try:
        while True:
            chunk = src.recv(4096)  # SKT103:21 recv() 'src' "never ends on b''"
            dst.sendall(chunk)
    finally:
        src.close()


def skip_empty(conn, handle):
    with conn:
        while True:
            data = conn.recv(1024)  # SKT103:20 recv() 'conn' "never ends on b''"
            if not data:
                continue  # ignoring end-of-file
            handle(data)


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))  # SKT103:17 recv() 'sock' "never ends on b''"
        buf += chunk
    return buf


def recv_into_exact(sock, view, size):
    got = 0
    while got < size:
        n = sock.recv_into(view[got:])  # SKT103:13 recv_into() 'sock' "never ends on b''"
        got += n
    return got


class Reader:
    def run(self):
        while self.running:
            data = self.sock.recv(4096)  # SKT103:20 recv() 'self.sock' "never ends on b''"
            if data == b"PING":
                self.sock.sendall(b"PONG")


# Look-alikes: these leave the loop on b'' or are bounded


def until_eof(conn):
    with conn:
        while True:
            data = conn.recv(1024)
            if not data:
                break
            conn.sendall(data)


def walrus(conn):
    with conn:
        while (data := conn.recv(1024)):
            conn.sendall(data)


def while_data(conn):
    try:
        data = conn.recv(1024)
        while data:
            conn.sendall(data)
            data = conn.recv(1024)
    finally:
        conn.close()


def raises_on_eof(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("peer closed mid-frame")
        buf += chunk
    return buf


def returns_on_eof(sock):
    while True:
        data = sock.recv(16)
        if len(data) == 0:
            return None
        if data.endswith(b"\n"):
            return data


def bounded_by_counter(sock):
    attempts = 0
    while attempts < 5:
        data = sock.recv(16)
        attempts += 1
    return data


def bounded_by_deadline(sock, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        data = sock.recv(16)
    return data


def for_loop(sock):
    for _ in range(3):
        data = sock.recv(16)
    return data


def datagram(sock):
    while True:
        data, addr = sock.recvfrom(2048)
        sock.sendto(data, addr)


def pipe_like(conn):
    while True:
        message = conn.recv()  # multiprocessing Connection.recv() takes no size
        print(message)


def closes_on_eof(self):
    while True:
        data = self.sock.recv(1024)
        if not data:
            self.sock.close()  # the next recv() raises: the loop does not spin
        print(data)


class QuicLike:
    def __init__(self, family):
        self._socket = socket.socket(family, socket.SOCK_DGRAM, 0)  # SKT107:9 'self._socket' "class 'QuicLike'"

    def run(self):
        while not self._done:
            datagram = self._socket.recv(1500)  # a datagram socket: no end-of-file
            self.handle(datagram)


def assert_on_eof(rsock, queue):
    while True:
        try:
            token = rsock.recv(1)
            assert token  # raises on b'': leaves the loop
        except ValueError:
            break
        queue.put(token)


def leaves_right_after(self, n):
    while n > 0:
        while True:
            if self.ready():
                chunk = self.sock.recv(n)
                break
        if len(chunk) == 0:
            raise EOFError()
        n -= len(chunk)


def combined_test(sock, buf):
    while True:
        data = sock.recv(4096)
        if isinstance(data, bytes) and len(data) == 0:
            raise ConnectionError("server closed the connection")
        buf.write(data)


class FrameBuffer:
    def recv_strict(self, size):
        shortage = size
        while shortage > 0:
            chunk = self.recv(min(16384, shortage))  # the class's own wrapper
            shortage -= len(chunk)
