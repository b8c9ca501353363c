"""A line-based TCP echo server, one thread per connection, written the old way.

Each client gets a greeting, then every line it sends comes back. STATS
reports the counters, QUIT says goodbye and hangs up. The handler closes the
connection only when the client says QUIT. A client that simply disconnects
makes recv() return b'', which the handler takes for "nothing yet": the
thread spins at full CPU and the socket stays in CLOSE_WAIT. A client that
resets the connection or stays silent past the timeout makes recv() or
sendall() raise, the thread dies, and the socket is never closed either.
The listening socket is closed nowhere, so a failed bind() leaks it too.

    python threaded_echo_server.py --port 7007
"""
import argparse
import logging
import socket
import threading

log = logging.getLogger("echo")

BUFSIZE = 4096
IDLE_TIMEOUT = 120.0

counters_lock = threading.Lock()
counters = {"clients": 0, "lines": 0, "bytes": 0}


def count(key, amount=1):
    with counters_lock:
        counters[key] += amount


def stats_line():
    with counters_lock:
        return ("+OK clients=%(clients)d lines=%(lines)d bytes=%(bytes)d\r\n" % counters).encode()


def handle_client(conn, address):
    """Echo lines back until the client says QUIT."""
    log.info("%s: connected", address)
    count("clients")
    conn.settimeout(IDLE_TIMEOUT)
    conn.sendall(b"+OK echo server ready\r\n")  # SKT101
    pending = b""
    while True:
        data = conn.recv(BUFSIZE)  # SKT103
        if not data:
            # nothing arrived yet, wait for more
            continue
        pending += data
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            line = line.rstrip(b"\r")
            command = line.strip().upper()
            if command == b"QUIT":
                conn.sendall(b"+OK bye\r\n")
                conn.close()  # SKT301
                log.info("%s: said goodbye", address)
                return
            if command == b"STATS":
                conn.sendall(stats_line())
                continue
            conn.sendall(line + b"\r\n")
            count("lines")
            count("bytes", len(line))


def serve(host, port):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))  # SKT101
    listener.listen(64)
    log.info("echo server on %s:%d", host, port)
    while True:
        conn, address = listener.accept()
        worker = threading.Thread(target=handle_client, args=(conn, address))
        worker.daemon = True
        worker.start()


def main():
    parser = argparse.ArgumentParser(description="line echo server")
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=7007)
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(threadName)s %(message)s",
    )
    try:
        serve(args.host, args.port)
    except KeyboardInterrupt:
        log.info("stopped")


if __name__ == "__main__":
    main()
