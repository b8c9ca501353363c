"""An in-memory key/value server speaking a line protocol over asyncio streams, written the old way.

Clients send one command per line: GET key, SET key value, DEL key, KEYS,
PING and QUIT; every reply is one line starting with +OK or -ERR. A second
port answers one admin command per connection (STATS or FLUSH) and hangs up.

The command handler never looks for end of file. When a client disconnects
without QUIT, readline() returns b'' at once, every time, without waiting:
the handler takes it for a blank line and goes round again. Because that
await never has to wait, the coroutine never gives control back to the event
loop, so one client that hangs up freezes the whole server at full CPU: no
other client is answered, no new connection is accepted, and the hung-up
connection stays in CLOSE_WAIT. QUIT writes its goodbye and closes at once,
with no write_eof() and no read until the client's FIN: input still unread
in the socket, or arriving after the close (a command the client pipelined
behind QUIT), is answered with a reset (RST) instead of a FIN, and the
client can lose the goodbye it had not read yet. The admin handler returns
when the client hangs up before sending its command (load balancer health
checks do that all day) and never closes that connection: each one stays in
CLOSE_WAIT until the garbage collector happens to finalise its writer. After
answering, the admin handler closes at once too, with the same reset.

    python asyncio_line_server.py --port 7009 --admin-port 7010
"""
import argparse
import asyncio
import logging
import socket
import time

log = logging.getLogger("kvd")

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


async def handle_client(reader, writer):
    peer = writer.get_extra_info("peername")
    # Clients that vanish without a FIN (a power cut, a lost network) are found by TCP keepalive.
    writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    counters["clients"] += 1
    log.info("%s: connected", peer)
    writer.write(b"+OK kvd ready\r\n")
    while True:
        line = await reader.readline()  # SKT103
        text = line.decode("utf-8", "replace").strip()
        if not text:
            continue  # a blank line: wait for the next command
        if text.upper() == "QUIT":
            writer.write(b"+OK bye\r\n")
            await writer.drain()
            writer.close()  # SKT301
            await writer.wait_closed()
            log.info("%s: said goodbye", peer)
            return
        writer.write(execute(text).encode("utf-8") + b"\r\n")
        await writer.drain()


async def handle_admin(reader, writer):
    line = await reader.readline()  # SKT102
    if not line:
        return  # a health check: connected and hung up
    writer.write(admin_command(line).encode("ascii") + b"\r\n")
    await writer.drain()
    writer.close()  # SKT301
    await writer.wait_closed()


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
