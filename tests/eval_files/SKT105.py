"""SKT105 never-closed: a socket the function acquired, lost on a normal path."""
import socket


def probe(host):
    s = socket.create_connection((host, 80))  # SKT105:9 "socket 's' (connected here)" "never closed"
    s.sendall(b"HEAD / HTTP/1.0\r\n\r\n")
    return s.recv(100)


def pair():
    a, b = socket.socketpair()  # SKT105:12 "sockets 'a' and 'b' (created here)" "never closed"
    a.sendall(b"x")
    return b.recv(1)


def accept_forever(srv):
    while True:
        conn, _ = srv.accept()  # SKT105:19 "socket 'conn' (accepted here)" "never closed" "rebound on line 19"
        conn.sendall(b"busy\r\n")


def udp_probe(addr):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # SKT105:9 "socket 's' (created here)" "never closed"
    s.sendto(b"ping", addr)


# Look-alikes


def returned(addr):
    s = socket.create_connection(addr)
    return s


def stored(self, addr):
    s = socket.create_connection(addr)
    self.sock = s


def registered(sel, srv):
    conn, _ = srv.accept()
    conn.setblocking(False)
    sel.register(conn, 1, data=None)


def kept_in_a_list(clients, srv):
    conn, addr = srv.accept()
    clients.append(conn)


def yielded(addrs):
    for addr in addrs:
        s = socket.create_connection(addr)
        yield s


def detached(addr):
    s = socket.create_connection(addr)
    return s.detach()


def closed_in_finally(addr):
    s = socket.socket()
    try:
        s.connect(addr)
        s.sendall(b"x")
    finally:
        s.close()


# Module-level names are globals: a script's socket lives as long as the process.
listener = socket.socket()
