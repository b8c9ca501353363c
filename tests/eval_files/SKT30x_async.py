"""SKT201 and SKT301-SKT304 on async connections."""
import asyncio
import socket
import struct

import trio


async def reply_and_close(reader, writer):
    request = await reader.readline()
    writer.write(b"HTTP/1.0 200 OK\r\n\r\nhello")
    await writer.drain()
    writer.close()  # SKT301:5 'writer' "no write_eof()" "writer.write_eof()"
    await writer.wait_closed()


async def sleep_instead(reader, writer):
    request = await reader.readline()
    writer.write(b"bye\r\n")
    await writer.drain()
    await asyncio.sleep(1)  # SKT303:11 sleep() 'writer'
    writer.close()


async def half_close_no_drain(reader, writer):
    request = await reader.readline()
    writer.write(b"bye\r\n")
    await writer.drain()
    writer.write_eof()
    writer.close()  # SKT302:5 'writer' "without reading until b''" "write_eof()"


async def trio_quit(host):
    stream = await trio.open_tcp_stream(host, 25)
    try:
        banner = await stream.receive_some(512)  # SKT101:24 receive_some() 'stream' "await stream.aclose()"
        await stream.send_all(b"QUIT\r\n")
        await stream.send_eof()  # SKT304:15 send_eof() 'stream' "BrokenResourceError"
        await stream.aclose()  # SKT302:15 'stream' "send_eof()"
    except trio.BrokenResourceError:
        pass


async def reset_on_close(reader, writer):
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # SKT201:5 "l_onoff=1, l_linger=0"
    writer.close()


# Look-alikes


async def lingering_close(reader, writer):
    request = await reader.readline()
    writer.write(b"bye\r\n")
    await writer.drain()
    try:
        writer.write_eof()
        while await reader.read(4096):
            pass
    except OSError:
        pass
    finally:
        writer.close()
        await writer.wait_closed()


async def handler_write_eof(reader, writer):  # asyncio closes the transport if write_eof() raises here
    await reader.read()
    writer.write_eof()
    writer.close()


async def client_reads_reply(host):
    reader, writer = await asyncio.open_connection(host, 80)
    try:
        writer.write(b"GET / HTTP/1.0\r\n\r\n")
        await writer.drain()
        return await reader.read()
    finally:
        writer.close()


async def main():
    await asyncio.start_server(reply_and_close, port=8001)
    await asyncio.start_server(sleep_instead, port=8002)
    await asyncio.start_server(half_close_no_drain, port=8003)
    await asyncio.start_server(reset_on_close, port=8004)
    await asyncio.start_server(lingering_close, port=8005)
    await asyncio.start_server(handler_write_eof, port=8006)
