#!/usr/bin/env python3
"""A misbehaving HTTP server on loopback for spec/resty_hostile_http_spec.lua: one listening port
per fault, each connection served on its own thread.

    python3 hostile_http.py PARENT_PID CERTDIR mode=port [mode=port ...]

Prints "ready PID" once every port listens; exits when PARENT_PID is gone (or after 300 s).
CERTDIR holds self.pem/self.key (self-signed) and wrong.pem/wrong.key (signed by the test CA
for another name) for the TLS modes.
"""
import os
import socket
import ssl
import struct
import sys
import threading
import time

JSON = b"Content-Type: application/hal+json\r\n"
PAGE = b'{"_embedded":{"users":[{"id":1,"firstName":"A"}]},"page":{"size":50,"totalElements":1,"totalPages":1,"number":1}}'


def read_request(c):
    data = b""
    while b"\r\n\r\n" not in data:
        got = c.recv(65536)
        if not got:
            return None
        data += got
    head, _, rest = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v.strip())
    while len(rest) < length:
        got = c.recv(65536)
        if not got:
            break
        rest += got
    return head.split(b" ")[0]


def trickle(c, data, step=1.0):
    for i in range(len(data)):
        c.sendall(data[i:i + 1])
        time.sleep(step)


def slowly_forever(c, prefix):
    c.sendall(prefix)
    for _ in range(120):
        c.sendall(b"x")
        time.sleep(1)


def chunked(c, body):
    c.sendall(b"HTTP/1.1 200 OK\r\n" + JSON + b"Transfer-Encoding: chunked\r\n\r\n" + body)
    time.sleep(5)  # keep the connection open: the client must decide, not the close


def ok(body, extra=b""):
    return (b"HTTP/1.1 200 OK\r\n" + JSON + extra + b"Content-Length: %d\r\nConnection: close\r\n\r\n"
            % len(body) + body)


def mode_trickle_head(c, _):
    trickle(c, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n" + b"X-Slow: " + b"y" * 200)


def mode_trickle_body(c, _):
    slowly_forever(c, b"HTTP/1.1 200 OK\r\n" + JSON + b"Content-Length: 1000\r\n\r\n")


def mode_chunk_nothex(c, _):
    chunked(c, b"zz\r\nhello\r\n0\r\n\r\n")


def mode_chunk_huge(c, _):
    chunked(c, b"ffffffffffffffffffff\r\nhello\r\n0\r\n\r\n")


def mode_chunk_negative(c, _):
    chunked(c, b"-5\r\nhello\r\n0\r\n\r\n")


def mode_chunk_fraction(c, _):
    chunked(c, b"1.5\r\nhello\r\n0\r\n\r\n")


def mode_chunk_nocrlf(c, _):
    chunked(c, b"5\r\nhelloXYZ\r\n0\r\n\r\n")


def mode_chunk_overrun(c, _):
    chunked(c, b"2\r\n" + PAGE + b"\r\n0\r\n\r\n")


def mode_huge_header(c, _):
    c.sendall(b"HTTP/1.1 200 OK\r\nX-Big: ")
    piece = b"a" * 65536
    for _ in range(30 * 16):  # 30 MiB
        c.sendall(piece)
    c.sendall(b"\r\n\r\n")


def mode_many_headers(c, _):
    c.sendall(b"HTTP/1.1 200 OK\r\n")
    lines = b"X-H: v\r\n" * 1000
    for _ in range(200):  # 200,000 fields
        c.sendall(lines)
    c.sendall(b"Content-Length: 2\r\n\r\n{}")


def mode_interim(c, _):
    c.sendall(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>; rel=preload\r\n\r\n"
              + ok(PAGE))


def mode_endless_interim(c, _):
    for _ in range(100000):
        c.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")


def mode_reset(c, _):
    c.sendall(b"HTTP/1.1 200 OK\r\n" + JSON + b"Content-Length: 100000\r\n\r\n" + b'{"_embedded":' + b" " * 1000)
    time.sleep(0.2)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def mode_garbage(c, method):
    if method == b"GET":
        c.sendall(ok(b'{"_embedded":{"users":[{"id":1,'))
    else:  # every write: 200, a JSON type, a truncated JSON body
        c.sendall(ok(b'{"id":12,"tags":["a",', b"Resource-ID: 12\r\n"))


def mode_object_page(c, _):
    c.sendall(ok(b'{"_embedded":{"users":{"id":1,"firstName":"A"}},"page":{"number":1,"totalPages":1}}'))


def mode_tls(c, _):
    c.sendall(ok(PAGE))


MODES = {name[5:]: fn for name, fn in globals().items() if name.startswith("mode_")}


def serve(c, mode):
    try:
        c.settimeout(150)
        method = read_request(c)
        if method is not None:
            MODES[mode](c, method)
    except (OSError, ValueError, ssl.SSLError):
        pass
    finally:
        try:
            c.close()
        except OSError:
            pass


def accept_loop(srv, mode, tls):
    while True:
        c, _ = srv.accept()
        if tls:
            try:
                c.settimeout(10)
                c = tls.wrap_socket(c, server_side=True)
            except (OSError, ssl.SSLError):
                c.close()
                continue
        threading.Thread(target=serve, args=(c, mode), daemon=True).start()


def tls_context(certdir, name):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(certdir, name + ".pem"), os.path.join(certdir, name + ".key"))
    return ctx


def main():
    parent, certdir = int(sys.argv[1]), sys.argv[2]
    for spec in sys.argv[3:]:
        mode, port = spec.split("=")
        tls = None
        if mode in ("tls_self", "tls_wrongname"):
            tls = tls_context(certdir, "self" if mode == "tls_self" else "wrong")
            fn = "tls"
        else:
            fn = mode
        srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(("127.0.0.1", int(port)))
        srv.listen(64)
        threading.Thread(target=accept_loop, args=(srv, fn, tls), daemon=True).start()
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
