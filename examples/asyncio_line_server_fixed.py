"""An in-memory key/value server speaking a line protocol over asyncio streams, that hangs up properly.

The same server as asyncio_line_server.py. The command handler stops when
readline() returns b'' (the client closed its end) instead of spinning on
it, so a client that hangs up costs nothing and never freezes the event
loop. Every way out of both handlers, QUIT, end of file, an admin answer, a
reset, goes through one `finally` and close_gracefully(): write_eof() sends
FIN after the last reply, the client's remaining input is read and thrown
away until its FIN (for at most DRAIN_TIMEOUT seconds), and only then
writer.close() and wait_closed(). Nothing is left unread when the socket is
closed, so the close sends FIN, not RST, and no connection is left in
CLOSE_WAIT.

    python asyncio_line_server_fixed.py --port 7009 --admin-port 7010
"""
import argparse
import asyncio
import logging
import socket
import time

log = logging.getLogger("kvd")

DRAIN_TIMEOUT = 5.0

STARTED = time.monotonic()
store = {}
counters = {"clients": 0, "commands": 0}


def execute(line):
    """Run one command line; returns the reply line (without CRLF)."""
    verb, _, rest = line.partition(" ")
    verb = verb.upper()
    counters["commands"] += 1
    if verb == "PING":
        return "+PONG"
    if verb == "GET":
        if rest not in store:
            return "-ERR no such key"
        return "+OK " + store[rest]
    if verb == "SET":
        key, _, value = rest.partition(" ")
        if not key:
            return "-ERR usage: SET key value"
        store[key] = value
        return "+OK"
    if verb == "DEL":
        return "+OK %d" % (store.pop(rest, None) is not None)
    if verb == "KEYS":
        return "+OK " + " ".join(sorted(store))
    return "-ERR unknown command " + verb


def admin_command(line):
    verb = line.decode("ascii", "replace").strip().upper()
    if verb == "STATS":
        uptime = time.monotonic() - STARTED
        return "+OK uptime=%d clients=%d commands=%d keys=%d" % (
            uptime, counters["clients"], counters["commands"], len(store))
    if verb == "FLUSH":
        store.clear()
        return "+OK flushed"
    return "-ERR unknown admin command"


async def close_gracefully(reader, writer):
    """FIN after the queued replies, read until the client's FIN (bounded), then close."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DRAIN_TIMEOUT
    try:
        writer.write_eof()
        while await asyncio.wait_for(reader.read(4096), max(0.0, deadline - loop.time())):
            pass  # input the client sent after its last command: read and drop it
    except (OSError, asyncio.TimeoutError):
        pass  # reset, gone, or too slow to hang up: nothing left to deliver
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except OSError:
            pass  # the connection was reset: it is closed all the same


async def handle_client(reader, writer):
    peer = writer.get_extra_info("peername")
    # Clients that vanish without a FIN (a power cut, a lost network) are found by TCP keepalive.
    writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    counters["clients"] += 1
    log.info("%s: connected", peer)
    try:
        writer.write(b"+OK kvd ready\r\n")
        while True:
            line = await reader.readline()
            if not line:
                log.info("%s: hung up", peer)  # end of file: the client closed its end
                break
            text = line.decode("utf-8", "replace").strip()
            if not text:
                continue  # a blank line: wait for the next command
            if text.upper() == "QUIT":
                writer.write(b"+OK bye\r\n")
                log.info("%s: said goodbye", peer)
                break
            writer.write(execute(text).encode("utf-8") + b"\r\n")
            await writer.drain()
    finally:
        await close_gracefully(reader, writer)


async def handle_admin(reader, writer):
    try:
        line = await reader.readline()
        if not line:
            return  # a health check: connected and hung up
        writer.write(admin_command(line).encode("ascii") + b"\r\n")
    finally:
        await close_gracefully(reader, writer)


async def serve(host, port, admin_port):
    server = await asyncio.start_server(handle_client, host, port)
    admin = await asyncio.start_server(handle_admin, "127.0.0.1", admin_port)
    log.info("kvd on %s:%d, admin on 127.0.0.1:%d", host, port, admin_port)
    async with server, admin:
        await asyncio.gather(server.serve_forever(), admin.serve_forever())


def main():
    parser = argparse.ArgumentParser(description="in-memory key/value line server")
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=7009)
    parser.add_argument("--admin-port", type=int, default=7010)
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(message)s",
    )
    try:
        asyncio.run(serve(args.host, args.port, args.admin_port))
    except KeyboardInterrupt:
        log.info("stopped")


if __name__ == "__main__":
    main()
