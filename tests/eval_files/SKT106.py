"""SKT106 attribute-dropped and SKT107 attribute-never-closed: sockets held by objects."""
import asyncio
import socket
import socketserver
import threading


class Client:
    def __init__(self, addr):
        self.addr = addr
        self.sock = None

    def connect(self):
        self.sock = socket.create_connection(self.addr)
        try:
            self.sock.sendall(b"HELLO\r\n")
        except OSError:
            self.sock = None  # SKT106:13 'self.sock' "opened on line 14" "close it before rebinding"
            raise

    def reconnect(self):
        self.sock.sendall(b"PING\r\n")
        self.sock = socket.create_connection(self.addr)  # SKT106:9 'self.sock' "used by sendall() on line 22"

    def forget(self):
        self.sock.recv(1)
        del self.sock  # SKT106:9 'self.sock' "used by recv()"

    def close(self):
        if self.sock is not None:
            self.sock.close()


class Retrier:
    def __init__(self, addr):
        self.addr = addr
        self.s = None

    def makesocket(self):
        return socket.create_connection(self.addr)

    def run(self):
        while True:
            try:
                self.s = self.makesocket()  # SKT106:17 'self.s' "used by connect()"
                self.s.connect(self.addr)
                return
            except OSError:
                continue

    def close(self):
        self.s.close()


class Feed:
    def __init__(self, addr):
        self.sock = socket.create_connection(addr)  # SKT107:9 'self.sock' "class 'Feed'" "close() method"

    def lines(self):
        return self.sock.makefile("rb")


class Beacon(threading.Thread):
    def __init__(self):
        super().__init__()
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # SKT107:9 'self.udp' "class 'Beacon'"

    def run(self):
        self.udp.sendto(b"here", ("255.255.255.255", 9999))


class HalfOpen(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport  # SKT107:9 "transport 'self.transport'" "eof_received() returns a true value"

    def data_received(self, data):
        self.transport.write(data)

    def eof_received(self):
        return True


# Look-alikes


class Good:
    def __init__(self, addr):
        self.addr = addr
        self.sock = socket.create_connection(addr)  # the first store in __init__

    def reconnect(self):
        self.sock.close()
        self.sock = socket.create_connection(self.addr)

    def reset(self):
        if self.sock is None:
            self.sock = socket.create_connection(self.addr)

    def close(self):
        self.sock.close()
        self.sock = None


class Rebuilds:
    def __init__(self):
        self.r, self.w = socket.socketpair()

    def _rebuild(self):
        self.r.close()
        self.w.close()
        self.r, self.w = socket.socketpair()

    def poll(self):
        try:
            return self.r.recv(1)
        except OSError:
            self._rebuild()  # closes and replaces them
            return b""


class Handler(socketserver.BaseRequestHandler):
    def setup(self):
        self.conn = socket.create_connection(("localhost", 1))  # a base we cannot see may close it


class Pool:
    def __init__(self, addr):
        self.sock = socket.create_connection(addr)

    def release(self, pool):
        pool.put(self.sock)  # handed on
        self.sock = None


class Closer:
    def __init__(self, addr):
        self.sock = socket.create_connection(addr)

    def __exit__(self, *exc):
        with self.sock:
            pass


class Polite(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport

    def eof_received(self):
        return False


class Quiet:
    def __init__(self, addr):
        self.sock = socket.create_connection(addr)

    def close(self):
        try:
            self.sock.close()  # a close() that raises has let go all the same
        except OSError:
            pass
        self.sock = None

    def unwrap(self):
        self.sock.sendall(b"BYE")
        self.sock = self.sock.unwrap()  # the same connection, rebound


class Providers:
    def stop(self, timeout):
        self._manager.shutdown(timeout)  # not a socket's shutdown(how)
        self._manager = None
