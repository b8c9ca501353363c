"""A command-line client for the key/value line server, on asyncio streams, with retries, written the old way.

It runs the same commands against several servers at once, one connection
each (see asyncio_line_server.py for the protocol), or only checks that each
server answers PING. connect_with_retry() opens a connection and waits for
the server's greeting; when the greeting does not come in time (a server
that accepts but is stuck or overloaded), it waits and tries again with a
new connection and simply drops the old one. Nothing but the garbage
collector closes a dropped connection: Python 3.11.5 and later close a
StreamWriter when it is finalised (with a ResourceWarning that only
development mode shows), older versions leave the transport open for as
long as the event loop is still reading from it, so a stuck server is
handed one more open connection per attempt. run_commands() closes its
connection only when every command went through: when drain() or a read
raises (a reply that times out, a reset), the close is skipped. The --check
mode opens a connection, asks PING and returns without closing it at all:
every check leaves its connection to the garbage collector.

    python asyncio_client.py --server 127.0.0.1:7009 "SET motd hello" "GET motd"
    python asyncio_client.py --check --server 127.0.0.1:7009 --server 127.0.0.1:7019
"""
import argparse
import asyncio
import logging
import socket

log = logging.getLogger("kvcli")

CONNECT_TIMEOUT = 3.0
REPLY_TIMEOUT = 10.0


def parse_address(text):
    host, _, port = text.rpartition(":")
    return host or "127.0.0.1", int(port)


async def connect_with_retry(host, port, attempts=5, delay=0.5):
    """Connect and read the greeting, retrying with exponential backoff."""
    last_error = None
    for attempt in range(1, attempts + 1):
        try:
            reader, writer = await asyncio.open_connection(host, port)
            greeting = await asyncio.wait_for(reader.readline(), CONNECT_TIMEOUT)  # SKT101
        except socket.gaierror:
            raise  # a name that does not resolve will not resolve on the next attempt
        except (OSError, asyncio.TimeoutError) as exc:
            log.warning("%s:%d: attempt %d/%d failed: %r", host, port, attempt, attempts, exc)
            last_error = exc
            await asyncio.sleep(delay)
            delay *= 2
            continue
        log.debug("%s:%d: %s", host, port, greeting.decode("utf-8", "replace").strip())
        return reader, writer
    raise ConnectionError("%s:%d: giving up after %d attempts: %r" % (host, port, attempts, last_error))


async def run_commands(host, port, commands):
    """Send each command and collect its one-line reply."""
    reader, writer = await connect_with_retry(host, port)
    replies = []
    for command in commands:
        writer.write(command.encode("utf-8") + b"\r\n")
        await writer.drain()  # SKT101
        reply = await asyncio.wait_for(reader.readline(), REPLY_TIMEOUT)
        replies.append(reply.decode("utf-8", "replace").rstrip("\r\n"))
    writer.close()
    await writer.wait_closed()
    return replies


async def is_up(host, port):
    """True if the server answers PING."""
    try:
        reader, writer = await asyncio.open_connection(host, port)  # SKT105
    except OSError:
        return False
    writer.write(b"PING\r\n")
    await writer.drain()
    await reader.readline()  # the greeting
    pong = await asyncio.wait_for(reader.readline(), REPLY_TIMEOUT)
    return pong.startswith(b"+PONG")


async def run(servers, commands, check):
    if check:
        results = await asyncio.gather(*(is_up(host, port) for host, port in servers), return_exceptions=True)
    else:
        results = await asyncio.gather(
            *(run_commands(host, port, commands) for host, port in servers), return_exceptions=True
        )
    failed = False
    for (host, port), result in zip(servers, results):
        if isinstance(result, Exception):
            print("%s:%d error: %r" % (host, port, result))
            failed = True
        elif check:
            print("%s:%d %s" % (host, port, "up" if result else "DOWN"))
            failed = failed or not result
        else:
            for command, reply in zip(commands, result):
                print("%s:%d %s -> %s" % (host, port, command, reply))
    return 1 if failed else 0


def main():
    parser = argparse.ArgumentParser(description="run commands on key/value line servers")
    parser.add_argument("commands", nargs="*", metavar="COMMAND", help='for example "GET motd"')
    parser.add_argument("--server", action="append", type=parse_address, required=True, metavar="HOST:PORT")
    parser.add_argument("--check", action="store_true", help="only check that each server answers PING")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    if not args.commands and not args.check:
        parser.error("give at least one command, or --check")
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(asctime)s %(message)s")
    raise SystemExit(asyncio.run(run(args.server, args.commands, args.check)))


if __name__ == "__main__":
    main()
