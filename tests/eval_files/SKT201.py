"""SKT201 linger-zero: every spelling of SO_LINGER (1, 0), and look-alikes that must stay silent."""
import socket
import struct

LINGER_RST = struct.pack("ii", 1, 0)
LINGER_GRACEFUL = struct.pack("ii", 1, 10)
RESET_PAIR = (1, 0)
ONOFF, SECONDS = 1, 0


def formats(sock):
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # SKT201:5 SO_LINGER "l_onoff=1, l_linger=0" 'sock'
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("hh", 1, 0))  # SKT201:5 SO_LINGER "l_onoff=1, l_linger=0" 'sock'
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("@ii", 1, 0))  # SKT201:5 SO_LINGER "l_onoff=1, l_linger=0" 'sock'
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("=ii", 1, 0))  # SKT201:5 SO_LINGER "l_onoff=1, l_linger=0" 'sock'
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("II", 1, 0))  # SKT201:5 SO_LINGER "l_onoff=1, l_linger=0" 'sock'
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ll", 1, 0))  # SKT201:5 SO_LINGER "l_onoff=1, l_linger=0" 'sock'
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("<2i", 1, 0))  # SKT201:5 SO_LINGER "l_onoff=1, l_linger=0" 'sock'
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack(b"!HH", True, 0))  # SKT201:5 SO_LINGER "l_onoff=1, l_linger=0" 'sock'
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("i i", 5, 0x0))  # SKT201:5 SO_LINGER "l_onoff=5, l_linger=0" 'sock'


def bytes_literals(conn):
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # SKT201:5 SO_LINGER "l_onoff=1, l_linger=0" 'conn'
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x00\x00\x00\x01" b"\x00\x00\x00\x00")  # SKT201:5 SO_LINGER "l_onoff=16777216, l_linger=0" 'conn'
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00")  # SKT201:5 SO_LINGER "l_onoff=1, l_linger=0" 'conn'


def constants(client, upstream):
    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RST)  # SKT201:5 SO_LINGER "l_onoff=1, l_linger=0" 'client'
    upstream.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", *RESET_PAIR))  # SKT201:5 SO_LINGER "l_onoff=1, l_linger=0" 'upstream'
    upstream.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", ONOFF, SECONDS))  # SKT201:5 SO_LINGER "l_onoff=1, l_linger=0" 'upstream'


def locals_and_unpacking(self):
    l_onoff = 1
    l_linger = 0
    self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", l_onoff, l_linger))  # SKT201:5 SO_LINGER "l_onoff=1, l_linger=0" 'self.sock'
    onoff, linger = 1, 0
    value = struct.pack("ii", onoff, linger)
    self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, value)  # SKT201:5 SO_LINGER "l_onoff=1, l_linger=0" 'self.sock'


def local_aliases(sock):
    level, option = socket.SOL_SOCKET, socket.SO_LINGER
    opt = socket.SO_LINGER
    pack = struct.pack
    sock.setsockopt(socket.SOL_SOCKET, opt, pack("ii", 1, 0))  # SKT201:5 SO_LINGER "l_onoff=1, l_linger=0" 'sock'
    packer = struct.Struct("ii")
    sock.setsockopt(level, socket.SO_LINGER, packer.pack(1, 0))  # SKT201:5 SO_LINGER "l_onoff=1, l_linger=0" 'sock'
    sock.setsockopt(level, socket.SO_LINGER, struct.Struct("hh").pack(1, 0))  # SKT201:5 SO_LINGER "l_onoff=1, l_linger=0" 'sock'


def two_on_one_line(a, b):
    a.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RST); b.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RST)  # SKT201:5 SO_LINGER "l_onoff=1, l_linger=0" "'a' and 'b'"


# Look-alikes: none of these resets the connection, or we cannot know.


def graceful_or_off(sock, seconds, values):
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 10))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_GRACEFUL)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 0, 0))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 0, 5))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, seconds))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", *values))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x00\x00\x00\x00\x00\x00\x00\x00")


def other_options_and_shapes(sock):
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, struct.pack("ii", 1, 0))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("iii", 1, 0, 0))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ff", 1.0, 0.0))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ixi", 1, 0))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00")
    sock.setsockopt(socket.SOL_SOCKET, 13, struct.pack("ii", 1, 0))  # a bare number is platform specific


def rebound_names(sock, retry):
    linger = 0
    if retry:
        linger = 30
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, linger))


def not_our_struct(sock):
    from mylib import pack
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, pack("ii", 1, 0))
