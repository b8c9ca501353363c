"""Messages true for the socket at hand: only a connected stream socket sits in CLOSE_WAIT."""
import socket


def listen_on(port):
    srv = socket.socket()
    srv.bind(("", port))  # SKT101:5 bind() 'srv' "never connected" "garbage-collected" "1 more call"
    srv.listen()
    return srv


def serve_one(port, handle):
    srv = socket.create_server(("", port))  # SKT105:11 'srv' "listening socket's descriptor" "garbage-collected"
    conn, _ = srv.accept()
    with conn:
        handle(conn)


def probe(addr):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # SKT105:9 's' "datagram socket" "no connection"
    s.sendto(b"ping", addr)


def echo_once(srv):
    conn, _ = srv.accept()
    data = conn.recv(1024)  # SKT101:12 recv() 'conn' CLOSE_WAIT "1 more call"
    conn.sendall(data)
    conn.close()  # SKT301:5 'conn'
