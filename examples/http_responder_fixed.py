"""A tiny HTTP/1.0 file responder, one thread per connection, that hangs up properly.

The same responder as http_responder.py. Every way out of the handler (a
response, the malformed-request reply, end of file, a reset or a timeout)
goes through one `finally` that does the lingering close: shutdown(SHUT_WR)
sends FIN after the response, the handler then reads and throws away what
the client still sends (the body of a refused POST, a pipelined request)
until the client's FIN, bounded by a deadline, and only then calls close().
Nothing is left unread at close(), so the kernel sends FIN, not RST, and
the client gets the whole response.

    python http_responder_fixed.py --root ./public --port 8000
"""
import argparse
import logging
import mimetypes
import os
import socket
import threading
import time

log = logging.getLogger("responder")

BUFSIZE = 4096
MAX_HEAD = 16384
READ_TIMEOUT = 15.0
DRAIN_TIMEOUT = 5.0


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
    try:
        conn.settimeout(READ_TIMEOUT)
        head = read_head(conn)
        if not head:
            return
        request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        parts = request_line.split()
        if len(parts) != 3:
            log.warning("%s: malformed request line %r", address, request_line)
            conn.sendall(build_response("400 Bad Request", b"malformed request line\n"))
            return
        method, target, _version = parts
        if method in ("GET", "HEAD"):
            status, body, content_type = load(root, target)
        else:
            # POST, PUT, ...: refused; the lingering close below reads and
            # discards whatever body they carried.
            status, body = "501 Not Implemented", b"GET and HEAD only\n"
            content_type = "text/plain"
        conn.sendall(build_response(status, body, content_type, with_body=method != "HEAD"))
        log.info('%s: "%s" %s %d', address, request_line, status.split()[0], len(body))
    except socket.timeout:
        log.info("%s: timed out", address)
    except OSError as exc:
        log.info("%s: connection error: %s", address, exc)
    finally:
        # Lingering close: FIN after the response, read and discard what the
        # client still sends until its FIN (bounded), then close. Closing with
        # unread input would send RST and could destroy the response in flight.
        try:
            conn.shutdown(socket.SHUT_WR)
            conn.settimeout(DRAIN_TIMEOUT)
            deadline = time.monotonic() + DRAIN_TIMEOUT
            while conn.recv(BUFSIZE) and time.monotonic() < deadline:
                pass
        except OSError:
            pass  # reset, timed out or already gone: nothing left to deliver
        conn.close()


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
