"""A small FTP-like file server, one thread per control connection, written the old way.

Commands arrive as lines on the control connection (USER, PASS, PASV, RETR,
QUIT); RETR sends the file over a data connection that the client opens after
PASV. When a download fails (the client aborts, the data connection is
reset), the data socket is never closed and the dispatcher goes on with the
next command: every aborted download leaks a descriptor, until the server
runs out of them. A failed read on the control connection is logged and
retried instead of ending the session, and the control socket is closed only
when the loop ends normally.

    python ftp_control_loop.py --root /srv/ftp --port 2121
"""
import argparse
import logging
import os
import socket
import threading

log = logging.getLogger("ftpd")

IDLE_TIMEOUT = 300.0
DATA_TIMEOUT = 30.0
BLOCKSIZE = 65536
USERS = {"anonymous": None, "backup": "s3cret"}


class Session:
    def __init__(self, root):
        self.root = os.path.realpath(root)
        self.user = None
        self.logged_in = False
        self.pasv = None  # listening socket for the next data connection

    def resolve(self, name):
        path = os.path.realpath(os.path.join(self.root, name.lstrip("/")))
        if not path.startswith(self.root):
            raise PermissionError(name)
        return path


def reply(conn, text):
    conn.sendall(text.encode("latin-1") + b"\r\n")


def cmd_user(conn, session, arg):
    session.user = arg
    session.logged_in = arg in USERS and USERS[arg] is None
    reply(conn, "230 Login successful." if session.logged_in else "331 Password required.")


def cmd_pass(conn, session, arg):
    session.logged_in = session.user in USERS and USERS[session.user] == arg
    reply(conn, "230 Login successful." if session.logged_in else "530 Login incorrect.")


def cmd_pasv(conn, session, arg):
    if session.pasv is not None:
        session.pasv.close()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind((conn.getsockname()[0], 0))  # SKT101
    listener.listen(1)
    listener.settimeout(DATA_TIMEOUT)
    session.pasv = listener
    host, port = listener.getsockname()
    reply(conn, "227 Entering Passive Mode (%s,%d,%d)." % (host.replace(".", ","), port >> 8, port & 0xFF))


def transfer(conn, session, chunks):
    if session.pasv is None:
        reply(conn, "425 Use PASV first.")
        return
    reply(conn, "150 Opening data connection.")
    data_conn, _ = session.pasv.accept()
    session.pasv.close()
    session.pasv = None
    for chunk in chunks:
        data_conn.sendall(chunk)  # SKT101
    data_conn.close()
    reply(conn, "226 Transfer complete.")


def cmd_retr(conn, session, arg):
    try:
        f = open(session.resolve(arg), "rb")
    except OSError:
        reply(conn, "550 File not available.")
        return
    with f:
        transfer(conn, session, iter(lambda: f.read(BLOCKSIZE), b""))


COMMANDS = {"USER": cmd_user, "PASS": cmd_pass, "PASV": cmd_pasv, "RETR": cmd_retr}


def handle_control(conn, address, root):
    session = Session(root)
    conn.settimeout(IDLE_TIMEOUT)
    reader = conn.makefile("rb")
    reply(conn, "220 Service ready.")  # SKT101
    while True:
        try:
            line = reader.readline()
        except socket.timeout:
            reply(conn, "421 Idle too long, closing control connection.")
            break
        except OSError as exc:  # SKT104
            log.warning("%s: read failed: %s", address, exc)
            continue
        if not line:
            break
        verb, _, arg = line.decode("latin-1").strip().partition(" ")
        verb = verb.upper()
        if verb == "QUIT":
            reply(conn, "221 Goodbye.")
            break
        if verb not in COMMANDS:
            reply(conn, "502 Command not implemented.")
        elif verb not in ("USER", "PASS") and not session.logged_in:
            reply(conn, "530 Please login with USER and PASS.")
        else:
            try:
                COMMANDS[verb](conn, session, arg)
            except OSError as exc:
                log.warning("%s: %s failed: %s", address, verb, exc)
                reply(conn, "426 Connection closed; transfer aborted.")
    if session.pasv is not None:
        session.pasv.close()
    conn.close()  # SKT301


def main():
    parser = argparse.ArgumentParser(description="small FTP server")
    parser.add_argument("--root", default=".")
    parser.add_argument("--port", type=int, default=2121)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(threadName)s %(message)s")
    with socket.create_server(("", args.port)) as listener:
        while True:
            conn, address = listener.accept()
            threading.Thread(target=handle_control, args=(conn, address, args.root), daemon=True).start()


if __name__ == "__main__":
    main()
