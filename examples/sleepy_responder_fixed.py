"""A small HTTP/1.0 status server, one thread per connection, that hangs up properly.

The same server as sleepy_responder.py, without the sleep. It reads the
whole request body that Content-Length announces, and every way out of the
handler (a response, the 400 reply to a malformed or oversized request, an
idle client, a reset) goes through one `finally` that closes the connection
gracefully: shutdown(SHUT_WR) sends FIN after the response, the server reads
and discards what the client still sends until the client's FIN (bounded by
a deadline), and only then calls close(). With nothing left unread, close()
ends with FIN instead of RST, and the client gets the whole report however
slow its link is. A client that is already gone makes shutdown() raise; that
is caught and the close() still runs.

    python sleepy_responder_fixed.py --port 8080 --notes notes.txt
"""
import argparse
import logging
import os
import socket
import threading
import time

log = logging.getLogger("status")

BUFSIZE = 4096
MAX_HEAD = 16384
MAX_BODY = 65536
READ_TIMEOUT = 10.0
DRAIN_TIMEOUT = 5.0

notes_lock = threading.Lock()


def read_request(conn):
    """Receive the request head, and the whole body that Content-Length announces."""
    data = b""
    while b"\r\n\r\n" not in data:
        if len(data) > MAX_HEAD:
            raise ValueError("request head too large")
        chunk = conn.recv(BUFSIZE)
        if not chunk:
            raise ConnectionError("client closed before the end of the request")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _version = lines[0].split(" ", 2)
    headers = dict(line.split(":", 1) for line in lines[1:] if ":" in line)
    length = int(headers.get("Content-Length", "0").strip() or 0)
    if not 0 <= length <= MAX_BODY:
        raise ValueError("bad or too large Content-Length: %d" % length)
    while len(body) < length:
        chunk = conn.recv(min(BUFSIZE, length - len(body)))
        if not chunk:
            raise ConnectionError("client closed in the middle of the body")
        body += chunk
    return method, path, body[:length]


def status_report():
    load1, load5, load15 = os.getloadavg()
    lines = ["load %.2f %.2f %.2f" % (load1, load5, load15)]
    lines += ["thread %s alive" % thread.name for thread in threading.enumerate()]
    return ("\n".join(lines) + "\n").encode()


def dispatch(method, path, body, notes_path):
    if method == "GET" and path == "/status":
        return "200 OK", status_report()
    if method == "GET" and path == "/health":
        return "200 OK", b"ok\n"
    if method == "POST" and path == "/note":
        with notes_lock, open(notes_path, "ab") as notes:
            notes.write(body.rstrip(b"\n") + b"\n")
        return "204 No Content", b""
    return "404 Not Found", b"no such page\n"


def close_gracefully(conn):
    """FIN after the queued response, read until the client's FIN (bounded), close."""
    try:
        conn.shutdown(socket.SHUT_WR)
        conn.settimeout(DRAIN_TIMEOUT)
        deadline = time.monotonic() + DRAIN_TIMEOUT
        while conn.recv(BUFSIZE) and time.monotonic() < deadline:
            pass
    except OSError:
        pass  # reset, timed out or already gone: nothing left to deliver
    finally:
        conn.close()


def handle(conn, address, notes_path):
    try:
        conn.settimeout(READ_TIMEOUT)
        try:
            method, path, body = read_request(conn)
        except ValueError as exc:  # malformed or oversized: say so, then hang up
            method, path, body = "-", "-", b""
            status, payload = "400 Bad Request", ("%s\n" % exc).encode()
        else:
            status, payload = dispatch(method, path, body, notes_path)
        header = "HTTP/1.0 %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n"
        conn.sendall((header % (status, len(payload))).encode("latin-1") + payload)
        log.info("%s: %s %s -> %s", address, method, path, status)
    except socket.timeout:
        log.info("%s: idle for %.0fs, hanging up", address, READ_TIMEOUT)
    except OSError as exc:
        log.info("%s: dropped: %s", address, exc)
    finally:
        close_gracefully(conn)


def serve(host, port, notes_path):
    with socket.create_server((host, port), backlog=32) as listener:
        log.info("status server on %s:%d", host, port)
        while True:
            conn, address = listener.accept()
            threading.Thread(target=handle, args=(conn, address, notes_path), daemon=True).start()


def main():
    parser = argparse.ArgumentParser(description="HTTP/1.0 status server")
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--notes", default="notes.txt")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(threadName)s %(message)s",
    )
    try:
        serve(args.host, args.port, args.notes)
    except KeyboardInterrupt:
        log.info("stopped")


if __name__ == "__main__":
    main()
