"""A client for a line-based key/value service, with retries, written the old way.

It reads a few keys from each of several servers at once. connect_with_retry()
creates a socket, connects and reads the server's greeting; after a refusal,
a timeout, or a server that accepts and hangs up at once (restarting, or out
of client slots), it waits and tries again with a new socket. The socket of
every failed attempt is left open: against a struggling server, each run
leaves a descriptor behind per failed attempt, and the hung-up ones sit in
CLOSE_WAIT. fetch() closes its connection only when every request succeeded;
a server that resets the connection or hangs up halfway leaks it too.

    python retrying_client.py --key motd --key version db1:7379 db2:7379
"""
import argparse
import logging
import socket
import time
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger("kvclient")

CONNECT_TIMEOUT = 3.0
IO_TIMEOUT = 10.0


def parse_address(text):
    host, _, port = text.rpartition(":")
    return host, int(port)


def connect_with_retry(address, attempts=5, delay=0.5):
    """Connect, retrying with exponential backoff; returns the connected socket."""
    last_error = None
    for attempt in range(1, attempts + 1):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.settimeout(CONNECT_TIMEOUT)
        try:
            sock.connect(address)  # SKT101
            greeting = sock.recv(512)  # SKT102
        except OSError as exc:
            log.warning("%s:%d: attempt %d/%d failed: %s", *address, attempt, attempts, exc)
            last_error = exc
            time.sleep(delay)
            delay *= 2
            continue
        if not greeting:
            # accepted and closed at once: the server is restarting or full
            log.warning("%s:%d: attempt %d/%d: server hung up", *address, attempt, attempts)
            last_error = "server hung up"
            time.sleep(delay)
            delay *= 2
            continue
        log.debug("%s:%d: %s", *address, greeting.decode("utf-8", "replace").strip())
        sock.settimeout(IO_TIMEOUT)
        return sock
    raise ConnectionError("%s:%d: giving up after %d attempts: %s" % (*address, attempts, last_error))


def request(sock, line):
    """Send one command line and return the one-line reply."""
    sock.sendall(line.encode("utf-8") + b"\r\n")
    reply = b""
    while not reply.endswith(b"\r\n"):
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("server closed the connection")
        reply += chunk
    reply = reply.decode("utf-8").rstrip("\r\n")
    if reply.startswith("-ERR"):
        raise LookupError(reply)
    return reply


def fetch(address, keys):
    sock = connect_with_retry(address)
    values = {}
    for key in keys:
        try:
            values[key] = request(sock, "GET " + key)  # SKT101
        except LookupError:
            values[key] = None
    sock.sendall(b"QUIT\r\n")
    sock.close()
    return values


def main():
    parser = argparse.ArgumentParser(description="read keys from several servers")
    parser.add_argument("servers", nargs="+", type=parse_address, metavar="HOST:PORT")
    parser.add_argument("--key", action="append", required=True)
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(threadName)s %(message)s")
    with ThreadPoolExecutor(max_workers=args.workers) as pool:
        futures = {pool.submit(fetch, address, args.key): address for address in args.servers}
    for future, address in futures.items():
        try:
            values = future.result()
        except OSError as exc:
            log.error("%s:%d: %s", *address, exc)
            continue
        for key, value in values.items():
            print("%s:%d %s = %s" % (*address, key, value))


if __name__ == "__main__":
    main()
