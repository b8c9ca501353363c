"""SKT201 through import aliases and star imports."""
import socket as s
import struct as st
from socket import *
from socket import SO_LINGER as LINGER_OPT
from struct import pack, Struct


def star_import(conn):
    conn.setsockopt(SOL_SOCKET, SO_LINGER, pack("ii", 1, 0))  # SKT201:5 SO_LINGER "l_onoff=1, l_linger=0" 'conn'


def module_alias(conn):
    conn.setsockopt(s.SOL_SOCKET, s.SO_LINGER, st.pack("ii", 1, 0))  # SKT201:5 SO_LINGER "l_onoff=1, l_linger=0" 'conn'


def renamed_constant(conn):
    conn.setsockopt(s.SOL_SOCKET, LINGER_OPT, Struct("ii").pack(1, 0))  # SKT201:5 SO_LINGER "l_onoff=1, l_linger=0" 'conn'


def nested_scope(conn):
    def reset_on_close():
        conn.setsockopt(SOL_SOCKET, SO_LINGER, st.pack("=hh", 1, 0))  # SKT201:9 SO_LINGER "l_onoff=1, l_linger=0" 'conn'

    return reset_on_close


def still_graceful(conn):
    conn.setsockopt(SOL_SOCKET, SO_LINGER, pack("ii", 1, 1))


class Handler:
    LINGER = st.pack("ii", 1, 0)

    def reset(self):
        # A class attribute is not a name a method can see unqualified.
        self.request.setsockopt(SOL_SOCKET, SO_LINGER, self.LINGER)


# Module-level code is analysed too.
listener = s.socket()
listener.setsockopt(s.SOL_SOCKET, s.SO_LINGER, st.pack("ii", 1, 0))  # SKT201:1 SO_LINGER "l_onoff=1, l_linger=0" 'listener'
