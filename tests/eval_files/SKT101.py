"""SKT101 error-path-leak: an owned socket left open when a call on it raises."""
import contextlib
import socket
import ssl
import threading


def handle(conn):  # runs in a thread per connection; closed on the happy path only
    while True:
        data = conn.recv(1024)  # SKT101:16 'conn' recv() CLOSE_WAIT "1 more call"
        if not data:
            break
        conn.sendall(data)
    conn.close()


def dial(addr):
    s = socket.socket()
    s.connect(addr)  # SKT101:5 's' connect() "failed attempt"
    return s


def tls_dial(addr, ctx: ssl.SSLContext):
    raw = socket.create_connection(addr)
    tls = ctx.wrap_socket(raw, server_hostname=addr[0], do_handshake_on_connect=False)
    tls.do_handshake()  # SKT101:5 'tls' do_handshake() CLOSE_WAIT
    return tls


def read_exact(sock, n):
    return sock.recv(n)


def request(addr, payload):
    sock = socket.create_connection(addr)
    sock.sendall(payload)  # SKT101:5 'sock' sendall() CLOSE_WAIT "1 more call"
    reply = read_exact(sock, 4)
    sock.close()
    return reply


def timeout_then_return(addr):
    s = socket.create_connection(addr, timeout=5)
    try:
        banner = s.recv(64)  # SKT101:18 's' recv() CLOSE_WAIT
    except socket.timeout:
        return None  # a timeout is a real failure: s is dropped open
    s.close()
    return banner


def validate(conn, limit):
    header = conn.recv(4)  # SKT101:14 'conn' recv() CLOSE_WAIT "1 more call"
    if len(header) > limit:
        raise ValueError("frame too large")
    conn.close()
    return header


# Look-alikes: closed on every path, handed on, or not ours.


def fetch(addr, request):
    with socket.create_connection(addr) as s:
        s.sendall(request)
        return s.recv(4096)


def fetch_finally(addr, request):
    s = socket.create_connection(addr)
    try:
        s.sendall(request)
        return s.recv(4096)
    finally:
        s.close()


def dial_safely(addr):
    s = socket.socket()
    try:
        s.connect(addr)
    except OSError:
        s.close()
        raise
    return s


def closing_helper(addr):
    with contextlib.closing(socket.create_connection(addr)) as s:
        s.sendall(b"ping")


def exit_stack(addrs):
    with contextlib.ExitStack() as stack:
        for addr in addrs:
            s = socket.create_connection(addr)
            stack.enter_context(s)
            s.sendall(b"ping")


def hand_to_thread(srv):
    conn, _ = srv.accept()
    threading.Thread(target=handle, args=(conn,), daemon=True).start()


def forced_close_helper(addr):
    s = socket.create_connection(addr)
    try:
        s.sendall(b"x")
    except OSError:
        _force_close(s)
        raise
    s.close()


def _force_close(sock):
    sock.close()


def non_blocking_connect(addr, selector):
    s = socket.socket()
    s.setblocking(False)
    try:
        s.connect(addr)  # SKT101:9 's' connect() "failed attempt"
    except BlockingIOError:
        pass  # the retry path is fine; any other error from connect() leaks s
    selector.register(s, 2)


def not_owned(conn):
    # never closed here: the caller owns it
    data = conn.recv(10)
    conn.sendall(data)


class Client:
    def connect(self, addr):
        self.sock = socket.create_connection(addr)  # SKT107:9 'self.sock' "class 'Client'" CLOSE_WAIT
        self.sock.sendall(b"hello")  # stored on self: the object owns it


def wrap_closes_on_failure(addr, ctx):
    raw = socket.create_connection(addr)
    try:
        return ctx.wrap_socket(raw, server_hostname="example.org")
    except Exception:
        raw.close()
        raise


def logging_is_not_io(addr, log):
    s = socket.create_connection(addr)
    log.debug("connected %r", s)
    print(repr(s), len(str(s)))
    s.close()
