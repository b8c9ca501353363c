"""A tiny HTTP/1.0 file responder, one thread per connection, written the old way.

It reads the request head with recv() until the blank line, serves GET and
HEAD from a directory, refuses everything else, sends the response and
closes at once. That close is the bug: whatever the client sent that the
server did not read (the body of a POST it refused, a second pipelined
request, the rest of an oversized head) is still in the receive buffer, so
the kernel answers close() with RST instead of FIN. The client's TCP then
throws away the part of the response it has not handed to the browser yet:
"connection reset by peer", or "page cannot be displayed". The malformed
request reply has the same problem, and a reset during the read leaks the
connection.

    python http_responder.py --root ./public --port 8000
"""
import argparse
import logging
import mimetypes
import os
import socket
import threading

log = logging.getLogger("responder")

BUFSIZE = 4096
MAX_HEAD = 16384
READ_TIMEOUT = 15.0


def read_head(conn):
    """Receive until the blank line that ends the request head."""
    data = b""
    while b"\r\n\r\n" not in data and len(data) < MAX_HEAD:
        chunk = conn.recv(BUFSIZE)
        if not chunk:
            break
        data += chunk
    head, _, _body = data.partition(b"\r\n\r\n")  # a body, if any, is not wanted
    return head


def build_response(status, body, content_type="text/plain", with_body=True):
    header = (
        "HTTP/1.0 %s\r\n"
        "Server: responder/0.3\r\n"
        "Content-Type: %s\r\n"
        "Content-Length: %d\r\n"
        "\r\n" % (status, content_type, len(body))
    ).encode("latin-1")
    return header + body if with_body else header


def load(root, target):
    """Map the request target to a file under root: (status, body, type)."""
    relative = target.split("?", 1)[0].lstrip("/") or "index.html"
    path = os.path.realpath(os.path.join(root, relative))
    if not path.startswith(os.path.realpath(root) + os.sep) or not os.path.isfile(path):
        return "404 Not Found", b"not found\n", "text/plain"
    with open(path, "rb") as f:
        body = f.read()
    return "200 OK", body, mimetypes.guess_type(path)[0] or "application/octet-stream"


def handle(conn, address, root):
    """Answer one request and hang up (HTTP/1.0: one request per connection)."""
    conn.settimeout(READ_TIMEOUT)
    try:
        head = read_head(conn)  # SKT101
    except socket.timeout:
        log.info("%s: no request within %.0fs", address, READ_TIMEOUT)
        conn.close()
        return
    if not head:
        conn.close()
        return
    request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
    parts = request_line.split()
    if len(parts) != 3:
        log.warning("%s: malformed request line %r", address, request_line)
        conn.sendall(build_response("400 Bad Request", b"malformed request line\n"))
        conn.close()  # SKT301
        return
    method, target, _version = parts
    if method in ("GET", "HEAD"):
        status, body, content_type = load(root, target)
    else:
        # POST, PUT, ...: refused, and whatever body they carried stays unread.
        status, body = "501 Not Implemented", b"GET and HEAD only\n"
        content_type = "text/plain"
    conn.sendall(build_response(status, body, content_type, with_body=method != "HEAD"))
    conn.close()  # SKT301
    log.info('%s: "%s" %s %d', address, request_line, status.split()[0], len(body))


def serve(host, port, root):
    with socket.create_server((host, port), backlog=64) as listener:
        log.info("serving %s on %s:%d", root, host, port)
        while True:
            conn, address = listener.accept()
            worker = threading.Thread(target=handle, args=(conn, address, root), daemon=True)
            worker.start()


def main():
    parser = argparse.ArgumentParser(description="HTTP/1.0 file responder")
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--root", default=".")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(threadName)s %(message)s",
    )
    try:
        serve(args.host, args.port, args.root)
    except KeyboardInterrupt:
        log.info("stopped")


if __name__ == "__main__":
    main()
