"""SKT104 error-swallowed: an except around a receive that carries on with the socket."""
import socket


def serve(self):
    while True:
        try:
            data = self.sock.recv(1024)
        except OSError:  # SKT104:9 "'except OSError'" 'self.sock' "round the loop"
            continue
        if not data:
            break
        self.sock.sendall(data)


def poll(self):
    while self.running:
        try:
            chunk = self.conn.recv(4096)  # SKT103:21 recv() 'self.conn' "never ends on b''"
        except:  # SKT104:9 "'except everything'" 'self.conn' "round the loop"
            pass
        else:
            self.buffer += chunk


def broad(self):
    while self.running:
        try:
            line = self.sock.recv(256)
        except (socket.timeout, ConnectionResetError) as exc:  # SKT104:9 "'except socket.timeout, ConnectionResetError'" 'self.sock' "round the loop"
            print("ignored", exc)
            continue
        if not line:
            break
        self.handle(line)


# Look-alikes


def timeouts_are_normal(self):
    while True:
        try:
            data = self.sock.recv(1024)
        except socket.timeout:
            continue
        if not data:
            return


def retry_errors(self):
    while True:
        try:
            data = self.sock.recv(1024)
        except (BlockingIOError, InterruptedError):
            continue
        if not data:
            return


def closes_and_stops(self):
    while True:
        try:
            data = self.sock.recv(1024)
        except OSError:
            self.sock.close()
            break
        if not data:
            break
        self.handle(data)


def reraises(self):
    while True:
        try:
            data = self.sock.recv(1024)
        except OSError:
            self.log("receive failed")
            raise
        if not data:
            break
        self.handle(data)


def returns(self):
    try:
        return self.sock.recv(1024)
    except OSError:
        return None


def not_a_receive(self):
    while True:
        try:
            self.sock.sendall(b"x")
        except OSError:
            continue


def makefile_reads(conn, out):
    reader = conn.makefile("rb")
    while True:
        try:
            line = reader.readline()
        except OSError:  # SKT104:9 "'except OSError'" 'conn' "round the loop"
            continue
        if not line:
            break
        out.write(line)


def stop_flag(conn):
    running = True
    while running:
        try:
            data = conn.recv(100)
        except OSError:
            running = False
            continue
        if not data:
            break
    conn.close()


def new_socket_each_attempt(addr):
    for _ in range(3):
        s = socket.socket()
        try:
            s.connect(addr)  # SKT101:13 's' connect() "failed attempt" "1 more call"
            banner = s.recv(64)
        except OSError:
            continue
        if banner:
            return s
        s.close()


def graceful_close_after(conn):
    try:
        request = conn.recv(1024)
        conn.sendall(request)
    except OSError:
        pass
    finally:
        try:
            conn.shutdown(socket.SHUT_WR)
            while conn.recv(4096):
                pass
        except OSError:
            pass
        conn.close()


def error_becomes_eof(self):
    while True:
        try:
            incoming = self.sock.recv(65536)
        except (OSError, IOError):
            incoming = b""
        if not incoming:
            self.closed = True
            return -1
        self.feed(incoming)
