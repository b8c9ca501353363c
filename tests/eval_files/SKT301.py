"""SKT301 close-without-shutdown: reply sent, then closed with unread input possibly pending."""
import socket


def answer(conn, response):
    try:
        request = conn.recv(65536)
        conn.sendall(response)
    finally:
        conn.close()  # SKT301:9 'conn' "no shutdown(SHUT_WR)"


def respond_with(srv):
    conn, _ = srv.accept()
    with conn:  # SKT301:5 'conn' "no shutdown(SHUT_WR)"
        conn.recv(1024)
        conn.sendall(b"HTTP/1.0 200 OK\r\n\r\nhello")


class Handler:
    def handle(self):
        line = self.sock.recv(512)
        self.sock.sendall(b"+OK " + line)
        self.sock.close()  # SKT301:9 'self.sock' "no shutdown(SHUT_WR)"


# Look-alikes


def client(addr, request):
    with socket.create_connection(addr) as s:  # send first, then read the reply
        s.sendall(request)
        return s.recv(4096)


def lingering_close(conn, response):
    try:
        conn.recv(65536)
        conn.sendall(response)
        conn.shutdown(socket.SHUT_WR)
        while conn.recv(4096):
            pass
    except OSError:
        pass
    finally:
        conn.close()


def peer_finished_first(conn):
    try:
        while True:
            data = conn.recv(4096)
            if not data:
                break
            conn.sendall(data)
    finally:
        conn.close()


def one_way_sender(conn, payload):
    try:
        conn.sendall(payload)
    finally:
        conn.close()


def udp_reply(addr):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(addr)
        data, peer = sock.recvfrom(1024)
        sock.sendto(data, peer)


def closed_on_error_only(conn):
    try:
        conn.recv(100)
        conn.sendall(b"x")
    except OSError:
        conn.close()
        raise


def logged(conn, log):
    try:
        conn.recv(100)
        conn.sendall(b"x")
        log.info("answered %s", conn)  # looking at the socket is not I/O
        assert hasattr(conn, "fileno")
    finally:
        conn.close()  # SKT301:9 'conn' "no shutdown(SHUT_WR)"
