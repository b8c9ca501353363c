"""A small TCP relay, written the old way.

Forwards every client connection to one upstream server, one thread per
connection, select() to move bytes both ways. It "fixes" TIME_WAIT by setting
SO_LINGER (1, 0) on both sockets, so every close() sends a reset (RST)
instead of a FIN. When the upstream server sends its last response and
closes, the relay forwards the response, sees b'' and closes both sockets at
once. The response may still be in the send buffer towards the client, and
the reset throws it away. The client gets ECONNRESET instead of the end of
the reply.

    python linger_proxy.py --listen 127.0.0.1:8080 --upstream 127.0.0.1:80
"""
import argparse
import logging
import select
import socket
import struct
import threading

log = logging.getLogger("linger_proxy")

BUFSIZE = 65536
IDLE_TIMEOUT = 300.0
# l_onoff=1, l_linger=0: "close at once, never leave TIME_WAIT behind".
LINGER_RST = struct.pack("ii", 1, 0)


def parse_address(text):
    host, _, port = text.rpartition(":")
    return host or "0.0.0.0", int(port)


def relay(client, upstream):
    """Copy bytes both ways until either side hangs up."""
    peer = {client: upstream, upstream: client}
    while True:
        readable, _, _ = select.select([client, upstream], [], [], IDLE_TIMEOUT)
        if not readable:
            log.info("idle for %.0fs, dropping the connection", IDLE_TIMEOUT)
            return
        for sock in readable:
            data = sock.recv(BUFSIZE)
            if not data:
                return  # one side is done: tear the pair down
            peer[sock].sendall(data)


def handle(client, address, upstream_address):
    try:
        upstream = socket.create_connection(upstream_address, timeout=10)
    except OSError as exc:
        log.warning("%s: cannot reach upstream: %s", address, exc)
        client.close()
        return
    upstream.settimeout(None)
    upstream.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RST)  # SKT201
    try:
        relay(client, upstream)
    except OSError as exc:
        log.info("%s: connection error: %s", address, exc)
    finally:
        client.close()  # sends RST: whatever is still queued is lost
        upstream.close()
    log.info("%s: closed", address)


def serve(listen_address, upstream_address):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # No SO_REUSEADDR: with LINGER_RST no connection is left in TIME_WAIT,
    # so a restarted relay can bind again at once.
    listener.bind(listen_address)  # SKT101
    listener.listen(128)
    log.info("relaying %s:%d -> %s:%d", *listen_address, *upstream_address)
    try:
        while True:
            client, address = listener.accept()
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RST)  # SKT201
            log.info("%s: accepted", address)
            worker = threading.Thread(
                target=handle, args=(client, address, upstream_address), daemon=True
            )
            worker.start()
    finally:
        listener.close()


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
