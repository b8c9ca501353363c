"""SKT303 sleep-before-close."""
import socket
import time
from time import sleep


def sleepy(conn, response):
    try:
        conn.recv(1024)
        conn.sendall(response)
        time.sleep(0.1)  # SKT303:9 sleep() 'conn'
    finally:
        conn.close()


def imported_sleep(conn):
    with conn:
        conn.recv(1024)
        conn.sendall(b"bye")
        sleep(1)  # SKT303:9 sleep() 'conn'


# Look-alikes


def sleep_then_send(conn):
    try:
        conn.recv(1024)
        time.sleep(0.1)
        conn.sendall(b"late")
        conn.shutdown(socket.SHUT_WR)
        while conn.recv(1024):
            pass
    except OSError:
        pass
    conn.close()


def client_sleeps(addr):
    s = socket.create_connection(addr)
    try:
        s.sendall(b"ping")
        time.sleep(0.1)
        s.recv(10)
    finally:
        s.close()
