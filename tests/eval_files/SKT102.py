"""SKT102 eof-leak: the receive returned b'' and that path loses the socket unclosed."""
import socket


def read_greeting(addr):
    s = socket.create_connection(addr)
    try:
        greeting = s.recv(512)  # SKT102:20 's' recv() "returns b''" "function returns"
    except OSError:
        s.close()
        raise
    if not greeting:
        return None  # EOF path returns without closing
    s.close()
    return greeting


def accept_loop(srv):
    while True:
        conn, addr = srv.accept()
        try:
            data = conn.recv(1024)  # SKT102:20 'conn' recv() "returns b''" "rebound on line 20"
        except OSError:
            conn.close()
            continue
        if not data:
            continue  # the next accept() rebinds conn: the old one is lost open
        conn.sendall(data)  # SKT101:9 'conn' sendall() CLOSE_WAIT
        conn.close()  # SKT301:9 'conn' "no shutdown(SHUT_WR)"


def length_test(addr):
    s = socket.create_connection(addr)
    try:
        n = s.recv_into(bytearray(16))  # SKT102:13 's' recv_into() "returns b''" "an exception leaves"
    except OSError:
        s.close()
        raise
    if n == 0:
        raise ConnectionError("peer closed")
    s.close()


# Look-alikes


def closes_on_eof(addr):
    s = socket.create_connection(addr)
    try:
        data = s.recv(512)
    except OSError:
        s.close()
        raise
    if not data:
        s.close()
        return None
    s.close()
    return data


def break_then_close(conn):
    try:
        while True:
            data = conn.recv(1024)
            if not data:
                break
            conn.sendall(data)
    finally:
        conn.close()


def with_block(addr):
    with socket.create_connection(addr) as s:
        data = s.recv(10)
        if data == b"":
            return None
        return data
