"""SKT103 eof-ignored, spec v2.6: every form of receive in a loop that can run forever on b''."""
import socket
import time


def accumulate(sock):
    buf = b""
    while not buf.endswith(b"\r\n\r\n"):  # the buffer's content never changes on b''
        buf += sock.recv(1024)  # SKT103:16 recv() 'sock' "never ends on b''"
    return buf


def marker(sock, mark):
    buf = b""
    while mark not in buf:
        buf = buf + sock.recv(1024)  # SKT103:21 recv() 'sock'
    return buf


def exact(conn, size):
    chunk = conn.recv(size)
    while len(chunk) < size:
        chunk = chunk + conn.recv(size - len(chunk))  # SKT103:25 recv() 'conn'
    return chunk


def in_the_test(sock):
    while not sock.recv(2).endswith(b"\n"):  # SKT103:15 recv() 'sock'
        pass


def not_the_receive(sock):
    while not sock.recv(1):  # SKT103:15 recv() 'sock'
        time.sleep(0.1)


def walrus_in_if(sock):
    done = False
    buf = b""
    while not done:
        if chunk := sock.recv(100):  # SKT103:21 recv() 'sock'
            buf += chunk
            if b"\n" in buf:
                done = True
    return buf


def bytes_never_equal_str(sock):
    while True:
        data = sock.recv(100)  # SKT103:16 recv() 'sock'
        if data == '':
            break
        print(data)


def walrus_compared_with_none(sock):
    while (chunk := sock.recv(10)) is not None:  # SKT103:21 recv() 'sock'
        print(chunk)


class Reader:
    def pump(self):
        while True:
            data = self._sock.recv(100)  # SKT103:20 recv() 'self._sock'
            self.feed(data)


# Look-alikes: each leaves the loop on b'', or is bounded by something else.


def ends_on_empty_bytes(sock):
    while True:
        data = sock.recv(100)
        if data == b'':
            break


def bounded_and_checked(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("peer closed")
        buf += chunk
    return buf


def deadline(sock):
    end = time.monotonic() + 5
    while time.monotonic() < end:
        print(sock.recv(10))


def counter(sock):
    tries = 0
    while tries < 10:
        data = sock.recv(10)
        tries += 1
        print(data)


def flag_set_on_eof(sock):
    running = True
    while running:
        data = sock.recv(10)
        if not data:
            running = False
        print(data)


def walrus_loop(sock):
    while chunk := sock.recv(10):
        print(chunk)


def walrus_compared(sock):
    while (chunk := sock.recv(10)) != b"":
        print(chunk)


def text_file(sock):
    f = sock.makefile("r")
    while True:
        line = f.readline()
        if line == '':
            break
        print(line)


def receive_in_own_test(sock):
    while sock.recv(4096):
        pass


class TlsPump:
    def pump(self):
        while self.pending():
            buf = self.socket.recv(4096)
            if buf:
                self.incoming.write(buf)
            else:
                self.incoming.write_eof()  # handed on: the next read raises at end of stream


def sliced_count(sock, buf):
    while True:
        nbytes = sock.recv_into(buf)
        data = buf[:nbytes]
        if not data:  # a slice of nothing: a test of the count
            break
        print(data)


def stripped_line(sock):
    f = sock.makefile("rb")
    while True:
        line = f.readline()
        if not line.rstrip(b"\r\n"):
            break
        print(line)


def forward(source, dest):
    while True:
        d = source.recv(32384)  # SKT103:13 recv() 'source'
        if d == '':  # never true for bytes: the data path is taken on b'' too
            break
        dest.sendall(d)


def drain_wakeups(s):
    while True:
        try:
            s.recv(32)  # SKT103:13 recv() 's'
        except BlockingIOError:
            return


def until_marker(sock):
    while True:
        if sock.recv(16).endswith(b"\n"):  # SKT103:12 recv() 'sock'
            break


class MemoryBioTLS:
    # pyOpenSSL over memory BIOs (bio_write/bio_read): no socket under it, no SKT103.
    def pump(self, data):
        self._conn.bio_write(data)
        while True:
            try:
                chunk = self._conn.recv(1)
            except ValueError:
                break
            self.out.append(chunk)
