#!/usr/bin/env python3
"""A misbehaving Redis server on loopback for spec/hostile_redis_spec.lua: one listening port per
fault, each connection on its own thread. It reads RESP commands and answers each one as its
fault says (GET and SET may be answered differently).

    python3 hostile_redis.py PARENT_PID mode=port [mode=port ...]

Prints "ready PID" once every port listens; exits when PARENT_PID is gone (or after 300 s).
"""
import os
import socket
import sys
import threading
import time


def read_command(f):
    line = f.readline()
    if not line.startswith(b"*"):
        return None
    args = []
    for _ in range(int(line[1:])):
        n = int(f.readline()[1:])
        args.append(f.read(n + 2)[:n])
    return args


def every(reply):
    return lambda cmd, c: c.sendall(reply)


def by_command(get, other):
    return lambda cmd, c: c.sendall(get if cmd == b"GET" else other)


def deep(cmd, c):
    c.sendall(b"*1\r\n" * 300000 + b":1\r\n")


def cut(cmd, c):
    c.sendall(b"$200000000\r\n" + b"x" * (1 << 20))
    c.shutdown(socket.SHUT_RDWR)


def trickle(cmd, c):
    for b in b"$5\r\nhello\r\n":
        c.sendall(bytes([b]))
        time.sleep(1)


def long_line(cmd, c):
    piece = b"a" * 65536
    c.sendall(b"+")
    for _ in range(160):  # 10 MiB without a line end
        c.sendall(piece)


MODES = {
    "fraction": every(b"$1.5\r\nab\r\n"),
    "huge": every(b"$99999999999999999999\r\n"),
    "negative": every(b"$-5\r\n"),
    "hex": every(b"$0x10\r\n0123456789abcdef\r\n"),
    "deep": deep,
    "wide": every(b"*100000000\r\n"),
    "cut": cut,
    "trickle": trickle,
    "long_line": long_line,
    "garbage": every(b"hello world\r\n"),
    "set_integer": by_command(b"$-1\r\n", b":1\r\n"),
    "set_array": by_command(b"$-1\r\n", b"*1\r\n+OK\r\n"),
    "set_bulk_ok": by_command(b"$-1\r\n", b"$2\r\nOK\r\n"),
    "set_nil": by_command(b"$-1\r\n", b"$-1\r\n"),
    "get_integer": by_command(b":42\r\n", b"+OK\r\n"),
    "get_array": by_command(b"*2\r\n$1\r\na\r\n$1\r\nb\r\n", b"+OK\r\n"),
}


def serve(c, mode):
    try:
        c.settimeout(60)
        f = c.makefile("rb")
        while True:
            args = read_command(f)
            if not args:
                break
            MODES[mode](args[0].upper(), c)
    except (OSError, ValueError):
        pass
    finally:
        c.close()


def accept_loop(srv, mode):
    while True:
        c, _ = srv.accept()
        threading.Thread(target=serve, args=(c, mode), daemon=True).start()


def main():
    parent = int(sys.argv[1])
    for spec in sys.argv[2:]:
        mode, port = spec.split("=")
        srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(("127.0.0.1", int(port)))
        srv.listen(64)
        threading.Thread(target=accept_loop, args=(srv, mode), daemon=True).start()
    print("ready %d" % os.getpid(), flush=True)
    start = time.time()
    while time.time() - start < 300:
        try:
            os.kill(parent, 0)
        except OSError:
            return
        time.sleep(0.5)


if __name__ == "__main__":
    main()
