"""A small HTTP/1.0 status server, one thread per connection, "fixed" with a sleep.

GET /status returns a plain-text report of the machine's counters, GET
/health a one-line answer, POST /note appends a line to a log. Users on slow
links complained that the report was cut off now and then ("page cannot be
displayed"), and somebody found that pausing for half a second before close()
made it go away. It did not: if request bytes are still unread when close()
runs (a body longer than its Content-Length said, a pipelined request, a
client still sending), the kernel sends RST instead of FIN, and the client's
TCP throws away the part of the report it has not read yet. The sleep only
gives the slow client a bit longer to read it. Idle clients are dropped with
a shutdown() that raises when the client is already gone, which skips the
close() after it.

    python sleepy_responder.py --port 8080 --notes notes.txt
"""
import argparse
import logging
import os
import socket
import threading
import time

log = logging.getLogger("status")

BUFSIZE = 4096
READ_TIMEOUT = 10.0
CLOSE_DELAY = 0.5  # give the browser time to read the page before we hang up

notes_lock = threading.Lock()


def read_request(conn):
    """Receive the request head, and the body if Content-Length announces one."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(BUFSIZE)
        if not chunk:
            raise ConnectionError("client closed before the end of the request")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _version = lines[0].split(" ", 2)
    headers = dict(line.split(":", 1) for line in lines[1:] if ":" in line)
    length = int(headers.get("Content-Length", "0").strip() or 0)
    # Anything past Content-Length, or the part of a long body that has not
    # arrived yet, is left in the socket.
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


def disconnect(conn):
    """Hang up on a client that will not get an answer."""
    conn.shutdown(socket.SHUT_RDWR)  # SKT304
    conn.close()


def handle(conn, address, notes_path):
    conn.settimeout(READ_TIMEOUT)
    try:
        method, path, body = read_request(conn)
        status, payload = dispatch(method, path, body, notes_path)
        header = "HTTP/1.0 %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n"
        conn.sendall((header % (status, len(payload))).encode("latin-1") + payload)
    except socket.timeout:
        log.info("%s: idle for %.0fs, hanging up", address, READ_TIMEOUT)
        disconnect(conn)
        return
    except (OSError, ValueError) as exc:
        log.info("%s: dropped: %s", address, exc)
        conn.close()
        return
    log.info("%s: %s %s -> %s", address, method, path, status)
    # Without this pause IE users got "page cannot be displayed" now and then.
    time.sleep(CLOSE_DELAY)  # SKT303
    conn.close()


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
