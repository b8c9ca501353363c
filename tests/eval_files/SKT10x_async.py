"""SKT101-SKT105 on async connections: asyncio streams, event-loop socket calls, trio, anyio."""
import asyncio
import functools
import socket

import anyio
import trio
from asyncio import open_connection


async def echo(reader, writer):  # started by start_server below: it owns its pair
    while True:
        line = await reader.readline()  # SKT103:22 readline() 'reader' "starving every other task"
        writer.write(line)
        await writer.drain()


async def greet(reader, writer):
    data = await reader.read(100)  # SKT102:18 read() 'writer' "the server gave this handler" "writer.close()"
    if not data:
        return
    writer.write(b"hello " + data)
    await writer.drain()
    writer.close()  # SKT301:5 'writer' "no write_eof()"


async def swallow(reader, writer):
    try:
        request = await reader.read(1024)  # SKT101:25 read() 'writer' "the server gave this handler"
    except Exception:
        return  # caught and returned: asyncio does not close it for us
    writer.close()


async def fetch(host, request):
    reader, writer = await asyncio.open_connection(host, 80)
    writer.write(request)
    await writer.drain()  # SKT101:11 drain() 'writer' "connected on line 36" "writer.close()"
    reply = await reader.read()
    writer.close()
    await writer.wait_closed()
    return reply


async def probe(host):
    reader, writer = await open_connection(host, 80)  # SKT105:22 'writer' "connection 'writer'"
    return await reader.readexactly(4)


async def poll(reader, writer):
    while True:
        try:
            data = await asyncio.wait_for(reader.read(100), 5)
        except ConnectionResetError:  # SKT104:9 "'except ConnectionResetError'" 'writer' "round the loop"
            continue
        if not data:
            break
        writer.write(data)
    writer.close()


async def loop_calls(loop, addr):
    sock = socket.socket()
    sock.setblocking(False)
    await loop.sock_connect(sock, addr)  # SKT101:11 sock_connect() 'sock' "never connected"
    await loop.sock_sendall(sock, b"ping")
    reply = await loop.sock_recv(sock, 4)
    sock.close()
    return reply


async def trio_client(host):
    stream = await trio.open_tcp_stream(host, 80)
    await stream.send_all(b"GET / HTTP/1.0\r\n\r\n")  # SKT101:11 send_all() 'stream' "await stream.aclose()"
    data = await stream.receive_some(4096)
    await stream.aclose()
    return data


async def anyio_client(host):
    stream = await anyio.connect_tcp(host, 80)  # SKT105:14 'stream' "stream 'stream'"
    await stream.send(b"ping")


# Look-alikes


async def closes_in_finally(host, request):
    reader, writer = await asyncio.open_connection(host, 80)
    try:
        writer.write(request)
        await writer.drain()
        return await reader.read()
    finally:
        writer.close()
        await writer.wait_closed()


async def async_with(host):
    async with await trio.open_tcp_stream(host, 80) as stream:
        await stream.send_all(b"x")
        return await stream.receive_some(10)


async def ends_on_eof(reader, writer):
    while True:
        data = await reader.read(100)
        if not data:
            break
        writer.write(data)
        await writer.drain()
    writer.write_eof()
    writer.close()


async def exact_frames(reader, writer):
    while True:
        header = await reader.readexactly(4)  # IncompleteReadError at end-of-file: no spin
        writer.write(header)


async def until_eof(reader, writer):
    while not reader.at_eof():
        line = await reader.readline()
        print(line)


async def lines(reader, writer):
    async for line in reader:  # ends at end-of-file
        print(line)


async def reraises(reader, writer):
    try:
        await reader.read(10)
    except OSError:
        raise
    finally:
        writer.close()


async def trio_handler(stream):  # trio's server closes the stream when the handler returns
    data = await stream.receive_some(100)
    await stream.send_all(data)


async def main():
    await asyncio.start_server(echo, port=7000)
    await asyncio.start_server(greet, port=7001)
    await asyncio.start_server(swallow, port=7002)
    await asyncio.start_server(functools.partial(poll), port=7003)
    await asyncio.start_server(lambda r, w: ends_on_eof(r, w), port=7004)
    for handler in (exact_frames, until_eof, lines, reraises):
        print(handler)
    await trio.serve_tcp(trio_handler, 7005)
