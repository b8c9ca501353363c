"""A small TCP relay that ends connections gracefully.

The same relay as linger_proxy.py without SO_LINGER (1, 0). When one side
finishes sending (recv() returns b''), the relay passes the FIN on with
shutdown(SHUT_WR) and keeps copying the other direction until that side
finishes too. Sockets are closed the graceful way: FIN after the queued data,
read until the peer's FIN, then close(). A restarted relay can still bind at
once because the listener sets SO_REUSEADDR. TIME_WAIT stays, and that is
what it is there for.

    python linger_proxy_fixed.py --listen 127.0.0.1:8080 --upstream 127.0.0.1:80
"""
import argparse
import logging
import select
import socket
import threading
import time

log = logging.getLogger("linger_proxy")

BUFSIZE = 65536
IDLE_TIMEOUT = 300.0
CONNECT_TIMEOUT = 10.0
DRAIN_TIMEOUT = 5.0


def parse_address(text):
    host, _, port = text.rpartition(":")
    return host or "0.0.0.0", int(port)


def close_gracefully(sock):
    """FIN after the queued data, read until the peer's FIN (bounded), close."""
    try:
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(DRAIN_TIMEOUT)
        deadline = time.monotonic() + DRAIN_TIMEOUT
        while sock.recv(BUFSIZE) and time.monotonic() < deadline:
            pass
    except OSError:
        pass  # reset, timed out or already gone: nothing left to deliver
    finally:
        sock.close()


def relay(client, upstream):
    """Copy bytes both ways until both sides have finished sending."""
    peer = {client: upstream, upstream: client}
    reading = [client, upstream]
    while reading:
        readable, _, _ = select.select(reading, [], [], IDLE_TIMEOUT)
        if not readable:
            log.info("idle for %.0fs, closing the connection", IDLE_TIMEOUT)
            return
        for sock in readable:
            data = sock.recv(BUFSIZE)
            if data:
                peer[sock].sendall(data)
                continue
            # This side is done sending; the other may still answer.
            reading.remove(sock)
            peer[sock].shutdown(socket.SHUT_WR)


def handle(client, address, upstream_address):
    try:
        upstream = socket.create_connection(upstream_address, timeout=CONNECT_TIMEOUT)
    except OSError as exc:
        log.warning("%s: cannot reach upstream: %s", address, exc)
        close_gracefully(client)
        return
    try:
        upstream.settimeout(None)
        relay(client, upstream)
    except OSError as exc:
        log.info("%s: connection error: %s", address, exc)
    finally:
        close_gracefully(upstream)
        close_gracefully(client)
    log.info("%s: closed", address)


def serve(listen_address, upstream_address):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        # Lets a restarted relay bind while old connections sit in TIME_WAIT.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(listen_address)
        listener.listen(128)
        log.info("relaying %s:%d -> %s:%d", *listen_address, *upstream_address)
        while True:
            client, address = listener.accept()
            log.info("%s: accepted", address)
            worker = threading.Thread(
                target=handle, args=(client, address, upstream_address), daemon=True
            )
            worker.start()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", type=parse_address, default="127.0.0.1:8080")
    parser.add_argument("--upstream", type=parse_address, required=True)
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(threadName)s %(message)s",
    )
    try:
        serve(args.listen, args.upstream)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
