"""A command-line client for the key/value line server, on asyncio streams, with retries, that closes what it opens.

The same client as asyncio_client.py. open_session() connects and waits for
the greeting, and closes the connection itself when that fails (an error, a
timeout, or the task being cancelled) before passing the error on, so a
retry never leaves the previous attempt's connection behind.
run_commands() holds its connection in try/finally, so it is closed however
the commands end, and it says goodbye gracefully: QUIT, write_eof() (FIN
after the command), then a read until the server's FIN, so the server closes
first and nothing is cut short. The --check mode closes its connection too.

    python asyncio_client_fixed.py --server 127.0.0.1:7009 "SET motd hello" "GET motd"
    python asyncio_client_fixed.py --check --server 127.0.0.1:7009 --server 127.0.0.1:7019
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


async def open_session(host, port):
    """Connect and read the greeting; the caller closes the connection it returns."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        greeting = await asyncio.wait_for(reader.readline(), CONNECT_TIMEOUT)
        if not greeting.startswith(b"+OK"):
            raise ConnectionError("unexpected greeting %r" % greeting)
    except BaseException:
        writer.close()  # this attempt is over, whatever ended it: do not leave it open
        raise
    log.debug("%s:%d: %s", host, port, greeting.decode("utf-8", "replace").strip())
    return reader, writer


async def connect_with_retry(host, port, attempts=5, delay=0.5):
    """Connect and read the greeting, retrying with exponential backoff."""
    last_error = None
    for attempt in range(1, attempts + 1):
        try:
            return await open_session(host, port)
        except socket.gaierror:
            raise  # a name that does not resolve will not resolve on the next attempt
        except (OSError, asyncio.TimeoutError) as exc:
            log.warning("%s:%d: attempt %d/%d failed: %r", host, port, attempt, attempts, exc)
            last_error = exc
            await asyncio.sleep(delay)
            delay *= 2
    raise ConnectionError("%s:%d: giving up after %d attempts: %r" % (host, port, attempts, last_error))


async def run_commands(host, port, commands):
    """Send each command and collect its one-line reply."""
    reader, writer = await connect_with_retry(host, port)
    replies = []
    try:
        for command in commands:
            writer.write(command.encode("utf-8") + b"\r\n")
            await writer.drain()
            reply = await asyncio.wait_for(reader.readline(), REPLY_TIMEOUT)
            if not reply:
                raise ConnectionError("%s:%d: the server closed the connection" % (host, port))
            replies.append(reply.decode("utf-8", "replace").rstrip("\r\n"))
        try:
            writer.write(b"QUIT\r\n")
            writer.write_eof()  # FIN after QUIT: nothing more from us
            while await asyncio.wait_for(reader.read(4096), REPLY_TIMEOUT):
                pass  # the goodbye, then the server's FIN
        except (OSError, asyncio.TimeoutError) as exc:
            log.info("%s:%d: goodbye failed: %r", host, port, exc)  # the replies are in
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except OSError:
            pass  # reset at the very end: it is closed all the same
    return replies


async def is_up(host, port):
    """True if the server answers PING."""
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError:
        return False
    try:
        writer.write(b"PING\r\n")
        await writer.drain()
        await reader.readline()  # the greeting
        pong = await asyncio.wait_for(reader.readline(), REPLY_TIMEOUT)
        return pong.startswith(b"+PONG")
    finally:
        writer.close()
        await writer.wait_closed()


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
