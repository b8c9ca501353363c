"""SKT304 shutdown-skips-close."""
import socket


def disconnect(self):
    self.sock.shutdown(socket.SHUT_RDWR)  # SKT304:5 shutdown() 'self.sock' "close() after it is then skipped"
    self.sock.close()


def same_try(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)  # SKT304:9 shutdown() 'sock' "close() after it is then skipped"
        sock.close()
    except OSError:
        pass


def wrong_exception(sock):
    try:
        sock.shutdown(socket.SHUT_WR)  # SKT304:9 shutdown() 'sock' "close() after it is then skipped"
    except ValueError:
        pass
    sock.close()


# Look-alikes: the close still runs


def in_finally(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)
    finally:
        sock.close()


def guarded(self):
    try:
        self.sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    self.sock.close()


def close_in_handler(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        sock.close()
        return
    sock.close()


def with_block(sock):
    with sock:
        sock.shutdown(socket.SHUT_RDWR)


def never_closed_here(sock):
    sock.shutdown(socket.SHUT_RDWR)  # the caller closes it


def close_quietly(sock):
    try:
        sock.close()
    except OSError:
        pass


def closing_helper(sock):
    sock.shutdown(socket.SHUT_RDWR)  # SKT304:5 shutdown() 'sock' "close() after it is then skipped"
    close_quietly(sock)


class Connection:
    def teardown(self):
        self.sock.shutdown(socket.SHUT_RDWR)  # SKT304:9 shutdown() 'self.sock' "close() after it is then skipped"
        self.handle_close()
