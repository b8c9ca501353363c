"""A client for a line-based key/value service, with retries, that closes what it opens.

The same client as retrying_client.py. A failed attempt (connect() raised, or
the server hung up before its greeting) closes its socket before the next
attempt creates a new one, and fetch() holds its connection in a `with` block,
so it is closed however the requests end. On the way out it says QUIT,
half-closes with shutdown(SHUT_WR) and reads until the server's FIN, so the
server closes first and no reply is cut short.

    python retrying_client_fixed.py --key motd --key version db1:7379 db2:7379
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
            sock.connect(address)
            greeting = sock.recv(512)
            if not greeting:
                # accepted and closed at once: the server is restarting or full
                raise ConnectionError("server hung up")
        except OSError as exc:
            sock.close()  # this attempt's socket is done; the next one gets a new one
            log.warning("%s:%d: attempt %d/%d failed: %s", *address, attempt, attempts, exc)
            last_error = exc
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
    values = {}
    with connect_with_retry(address) as sock:
        for key in keys:
            try:
                values[key] = request(sock, "GET " + key)
            except LookupError:
                values[key] = None
        try:
            sock.sendall(b"QUIT\r\n")
            sock.shutdown(socket.SHUT_WR)
            while sock.recv(4096):  # the server's goodbye, then its FIN
                pass
        except OSError as exc:
            log.info("%s:%d: goodbye failed: %s", *address, exc)  # the values are in
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
