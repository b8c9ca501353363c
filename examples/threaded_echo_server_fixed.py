"""A line-based TCP echo server, one thread per connection, that hangs up properly.

The same server as threaded_echo_server.py. The handler stops when recv()
returns b'' (the client closed its end), and every way out of it, QUIT, end
of file, a reset or a timeout, goes through one `finally` that closes the
connection gracefully: FIN after the last reply with shutdown(SHUT_WR), read
until the client's FIN (bounded by a timeout), then close(). No thread
outlives its client, and no socket is left in CLOSE_WAIT.

    python threaded_echo_server_fixed.py --port 7007
"""
import argparse
import logging
import socket
import threading

log = logging.getLogger("echo")

BUFSIZE = 4096
IDLE_TIMEOUT = 120.0
DRAIN_TIMEOUT = 5.0

counters_lock = threading.Lock()
counters = {"clients": 0, "lines": 0, "bytes": 0}


def count(key, amount=1):
    with counters_lock:
        counters[key] += amount


def stats_line():
    with counters_lock:
        return ("+OK clients=%(clients)d lines=%(lines)d bytes=%(bytes)d\r\n" % counters).encode()


def handle_client(conn, address):
    """Echo lines back until the client says QUIT or hangs up."""
    log.info("%s: connected", address)
    count("clients")
    try:
        conn.settimeout(IDLE_TIMEOUT)
        conn.sendall(b"+OK echo server ready\r\n")
        pending = b""
        while True:
            data = conn.recv(BUFSIZE)
            if not data:
                log.info("%s: client hung up", address)
                return
            pending += data
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                line = line.rstrip(b"\r")
                command = line.strip().upper()
                if command == b"QUIT":
                    conn.sendall(b"+OK bye\r\n")
                    log.info("%s: said goodbye", address)
                    return
                if command == b"STATS":
                    conn.sendall(stats_line())
                    continue
                conn.sendall(line + b"\r\n")
                count("lines")
                count("bytes", len(line))
    except OSError as exc:
        log.info("%s: connection error: %s", address, exc)
    finally:
        # FIN after the last reply, read until the client's FIN, then close:
        # unread input at close() would turn our FIN into a reset.
        try:
            conn.shutdown(socket.SHUT_WR)
            conn.settimeout(DRAIN_TIMEOUT)
            while conn.recv(BUFSIZE):
                pass
        except OSError:
            pass  # reset, timed out or already gone: nothing left to deliver
        conn.close()


def serve(host, port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
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
