"""Ownership, spec v2.6: what hands a socket on, what is one socket, and what is no socket."""
import socket
import threading


class Client:
    def open(self):
        self.sock = s = socket.socket()  # SKT107:9 'self.sock' "class 'Client'"
        s.settimeout(5)

    def open_other_order(self):
        s = self.sock = socket.socket()
        s.settimeout(5)


def outer(addr):
    sock = None

    def inner():
        nonlocal sock  # the enclosing function holds it
        sock = socket.create_connection(addr)

    inner()
    return sock


def accept_kept_whole(srv):
    pair = srv.accept()
    data = pair[0].recv(10)  # SKT101:12 recv() 'pair'
    pair[0].close()
    return data


def accept_unpacked_later(srv, handler):
    v = srv.accept()
    if v is None:
        return
    conn, addr = v
    handler(conn)


def rewrapped(addr, wrap):
    sock = socket.create_connection(addr)
    sock = wrap(sock)  # the wrapper takes the socket over
    sock.settimeout(1)
    sock.close()


def second_pair_loses_the_first():
    a, b = socket.socketpair()  # SKT105:12 'a' 'b' "are never closed" "rebound on line 51"
    a, b = socket.socketpair()
    a.close()
    b.close()


def makefile_chain(addr):
    sock = socket.create_connection(addr)
    line = sock.makefile("rb").readline()  # SKT101:12 readline() 'sock'
    sock.close()
    return line


def raw_and_tls_are_one(addr, ctx):
    raw = socket.socket()
    raw.connect(addr)  # SKT101:5 connect() 'raw' "never connected" "1 more call"
    tls = ctx.wrap_socket(raw)
    tls.do_handshake()
    tls.close()


def ssh_channel(client):
    chan = client.get_transport().open_session()
    chan.exec_command("uptime")
    while True:
        out = chan.recv(1024)
        if chan.recv_ready():
            continue
        print(out)


def wrap_the_objects_socket(connection, ctx):
    wrapped = ctx.wrap_socket(connection.socket)  # the connection object still owns it
    connection.socket = wrapped


def wrap_a_parameter(sock, ctx, addr):
    tls = ctx.wrap_socket(sock)  # the caller owns sock, and so the wrapper
    tls.connect(addr)
    return tls


def cleanup_for_the_caller(port):
    s = socket.socket()
    s.bind(("", port))  # SKT101:5 bind() 's'
    return s.close, s.getsockname()[1]


class Case:
    def test_detach(self):
        sock = socket.socket()
        self.addCleanup(sock.detach)
        sock.settimeout(1)


def with_name_reused(port):
    with socket.create_server(("", port)) as s:
        s = "listening on %d" % port  # the with block still closes the server
        print(s)


def wrap_made_here(ctx, addr, host):
    client = ctx.wrap_socket(socket.socket(), server_hostname=host)
    client.connect(addr)  # SKT101:5 connect() 'client'
    client.close()


def wrapper_of_a_with_socket(ctx, addr):
    with socket.create_connection(addr) as raw:
        tls = ctx.wrap_socket(raw)
        data = tls.recv(400)  # SKT101:16 recv() 'tls'
        tls.close()
        return data


def starttls_and_back(msgs, addr, wrap):
    # The wrapper a helper made from `s` is what gets closed on the TLS path, and
    # `s = conn.unwrap()` gives back the socket `s` already holds: nothing is dropped.
    wrapped = False
    s = socket.create_connection(addr)
    for indata in msgs:
        if wrapped:
            conn.write(indata)
        else:
            s.send(indata)  # SKT101:13 send() 's'
        if indata == b"STARTTLS":
            conn = wrap(s)
            wrapped = True
        elif indata == b"ENDTLS":
            s = conn.unwrap()
            wrapped = False
    if wrapped:
        conn.close()
    else:
        s.close()


def unwrap_of_another_socket(addr, other, wrap):
    s = socket.create_connection(addr)  # SKT105:9 's' rebound on line
    conn = wrap(other)
    s = conn.unwrap()
    s.close()


def unwrap_then_close(listener, ctx):
    # unwrap() hands back the same connection without TLS: closing it closes the socket.
    sock, addr = listener.accept()
    tls = ctx.wrap_socket(sock, server_side=True)
    data = tls.recv(6)  # SKT101:12 recv() 'tls'
    plain = tls.unwrap()
    plain.close()
    return data


def helper_result_closed_by_flag(addr, wrap, secure):
    # A helper's result that the function closes holds the socket once the helper
    # returns, even though `sock.close()` is reachable after it (through the branch
    # the flag rules out); if the helper raises, the socket is still the caller's.
    wrapped = False
    sock = socket.create_connection(addr)
    if secure:
        conn = wrap(sock)  # SKT101:16 wrap() 'sock'
        wrapped = True
    if wrapped:
        conn.close()
    else:
        sock.close()


def socketpair_fixture():
    # Iterating a socketpair() held whole reads nothing; the loop that closes each end closes it.
    pair = socket.socketpair()
    for sock in pair:
        sock.setblocking(False)
    yield pair
    for sock in pair:
        sock.close()


def socketpair_set_up_and_dropped():
    pair = socket.socketpair()  # SKT105:12 'pair' returns without close()
    for sock in pair:
        sock.setblocking(False)
    return len(pair)


def closure_defined_before_the_socket(ctx):
    # The closure takes the socket when it is handed to the thread, not where it is defined.
    def serve():
        with srv:
            srv.accept()

    srv = ctx.wrap_socket(socket.socket(), server_side=True)
    srv.bind(("127.0.0.1", 0))  # SKT101:5 bind() 'srv'
    srv.listen()
    threading.Thread(target=serve, daemon=True).start()
    return srv.getsockname()


def closure_defined_but_never_run():
    def serve():
        with srv:
            srv.accept()

    srv = socket.socket()  # SKT105:11 'srv' returns without close()
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    return srv.getsockname()


def closure_with_its_own_socket(addr):
    # `listener` inside setup() is setup's own name: calling setup() hands nothing on.
    def setup():
        listener = socket.create_server(addr)
        return listener

    listener = setup()
    conn, _ = listener.accept()  # SKT101:15 accept() 'listener'
    conn.close()
    listener.close()
