#!/usr/bin/env python3
"""py-echo: a faxbot plugin in Python (standard library only), written from docs/abi.md.

It runs on the host's `python3` runtime (manifest: runtime = "python3"): the jail starts
the interpreter the operator enabled with this file, a verified package file, as its
argument. It answers every host call of ABI 1.0:

  health.check    -> ok
  event.deliver   -> decodes the whole event, logs its topic (a log.write notification), Ack
  route.serve     -> GET /echo: "<greeting> <query> <body>"; GET /count: a counter in the
                     host's key-value store (kv.get then kv.put); any other path 404
  job.run         -> summary "ran <name>"
  plugin.shutdown -> Ack, then exit (the plugin must exit after its ack)
  anything else   -> unsupported; a body that does not decode -> invalid

It serves one host call at a time and keeps reading while it waits for the host's answer
to its own call: health checks are answered at once, other host requests `unavailable`.
"""
import os
import socket
import sys

MAX_FRAME = 1024 * 1024
MAX_DEPTH = 32
REQUEST, RESPONSE, NOTIFICATION, CANCEL = 0, 1, 2, 3
INVALID, UNAVAILABLE, UNSUPPORTED, INTERNAL = 2, 6, 7, 8


class Bad(Exception):
    """A body that does not decode."""


# ---- postcard (docs/abi.md §3) ----

def varint(n):
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def text(s):
    b = s.encode("utf-8") if isinstance(s, str) else bytes(s)
    return varint(len(b)) + b


class Reader:
    def __init__(self, data):
        self.data, self.at = data, 0

    def u8(self):
        if self.at >= len(self.data):
            raise Bad("cut short")
        self.at += 1
        return self.data[self.at - 1]

    def varint(self, max_bytes=10, bits=64):
        n = 0
        for i in range(max_bytes):
            b = self.u8()
            n |= (b & 0x7F) << (7 * i)
            if not b & 0x80:
                if n >> bits:
                    raise Bad("varint out of range")
                return n
        raise Bad("varint too long")

    def u32(self):
        return self.varint(5, 32)

    def u64(self):
        return self.varint(10, 64)

    def flag(self):
        b = self.u8()
        if b > 1:
            raise Bad("bool or option tag %d" % b)
        return b == 1

    def bytes(self):
        n = self.u32()
        if n > len(self.data) - self.at:
            raise Bad("length past the end")
        self.at += n
        return self.data[self.at - n:self.at]

    def str(self):
        try:
            return self.bytes().decode("utf-8")
        except UnicodeDecodeError as e:
            raise Bad("invalid UTF-8") from e

    def value(self, level=1):
        if level > MAX_DEPTH:
            raise Bad("value nested too deeply")
        tag = self.u32()
        if tag == 0:
            return None
        if tag == 1:
            return self.flag()
        if tag == 2:
            z = self.u64()
            return (z >> 1) ^ -(z & 1)
        if tag == 3:
            self.at += 8
            if self.at > len(self.data):
                raise Bad("cut short")
            return 0.0
        if tag == 4:
            return self.str()
        if tag == 5:
            return self.bytes()
        if tag == 6:
            return [self.value(level + 1) for _ in range(self.u32())]
        if tag == 7:
            return {self.str(): self.value(level + 1) for _ in range(self.u32())}
        raise Bad("value tag %d" % tag)


# ---- frames and envelopes (§2, §5) ----

class Conn:
    def __init__(self, sock):
        self.sock, self.max_frame, self.next_id, self.buf = sock, MAX_FRAME, 1, b""

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                if self.buf:
                    sys.exit("py-echo: the host's frame was cut short")
                return None
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_frame(self):
        header = self._read(4)
        if header is None:
            return None
        n = int.from_bytes(header, "little")
        if n == 0 or n > self.max_frame:
            sys.exit("py-echo: a frame of %d bytes (limit %d)" % (n, self.max_frame))
        body = self._read(n)
        if body is None:
            sys.exit("py-echo: the host's frame was cut short")
        return body

    def write_frame(self, body):
        self.sock.sendall(len(body).to_bytes(4, "little") + body)

    def send(self, id_, kind, method, deadline_ms, body):
        self.write_frame(varint(id_) + varint(kind) + text(method) + varint(deadline_ms) + text(body))

    def read_envelope(self):
        body = self.read_frame()
        if body is None:
            return None
        r = Reader(body)
        try:
            env = (r.u64(), r.u32(), r.str(), r.u32(), r.bytes())
        except Bad as e:
            sys.exit("py-echo: an envelope that does not decode: %s" % e)
        if env[1] > 3 or len(env[2].encode()) > 64:
            sys.exit("py-echo: an envelope that does not decode")
        return env

    def ok(self, id_, response=b""):
        self.send(id_, RESPONSE, "", 0, b"\x00" + response)

    def err(self, id_, code, message):
        self.send(id_, RESPONSE, "", 0, b"\x01" + varint(code) + text(message))

    def log(self, message):
        self.send(0, NOTIFICATION, "log.write", 0, b"\x02" + text(message) + varint(0))

    def call(self, method, request):
        """Calls the host; returns the Ok body, or raises RuntimeError with the code."""
        id_ = self.next_id
        self.next_id += 1
        self.send(id_, REQUEST, method, 5000, request)
        while True:
            env = self.read_envelope()
            if env is None:
                sys.exit(0)
            eid, kind, emethod, _, body = env
            if kind == RESPONSE and eid == id_:
                if body[:1] == b"\x00":
                    return body[1:]
                r = Reader(body[1:])
                raise RuntimeError(r.u32())
            if kind == REQUEST:
                if emethod == "health.check":
                    self.ok(eid, b"\x01" + text(""))
                else:
                    self.err(eid, UNAVAILABLE, "busy with a call of its own; try again")


# ---- the host's calls (§6) ----

greeting = "echo"


def skip_fax_job_event(r):
    r.str()
    if r.u32() > 1 or r.u32() > 6:
        raise Bad("direction or state")
    r.str()
    if r.flag():
        r.u32()
    r.u32()
    r.u64()
    if r.flag():
        r.u64()
    for _ in range(2):
        if r.flag():
            r.str()


def serve_event(conn, id_, body):
    r = Reader(body)
    r.str()
    topic = r.str()
    r.str()
    r.u64()
    r.u64()
    payload = r.u32()
    if payload == 0:
        skip_fax_job_event(r)
    elif payload == 1:
        r.str(), r.str(), r.str()
    elif payload == 2:
        r.str()
        for _ in range(r.u32()):
            r.str(), r.value()
    else:
        raise Bad("payload %d" % payload)
    attempt = r.u32()
    conn.log("event %s, attempt %d" % (topic, attempt))
    conn.ok(id_)


def route_response(conn, id_, status, body):
    conn.ok(id_, varint(status) + varint(1) + text("content-type")
            + text("text/plain; charset=utf-8") + text(body))


def serve_route(conn, id_, body):
    r = Reader(body)
    _method, path, query = r.str(), r.str(), r.str()
    for _ in range(r.u32()):
        r.str(), r.str()
    payload = r.bytes()
    if path == "/count":
        try:
            got = Reader(conn.call("kv.get", text("count")))
            count = int(got.bytes().decode()) if got.flag() else 0
            conn.call("kv.put", text("count") + text(str(count + 1)))
        except RuntimeError as e:
            conn.err(id_, INTERNAL, "kv failed with code %s" % e.args[0])
            return
        route_response(conn, id_, 200, str(count + 1))
    elif path == "/echo":
        route_response(conn, id_, 200, ("%s %s " % (greeting, query)).encode() + payload)
    else:
        route_response(conn, id_, 404, b"no such route\n")


def serve_job(conn, id_, body):
    r = Reader(body)
    name = r.str()
    r.str()
    r.u64()
    conn.ok(id_, b"\x01" + text("ran " + name))


def serve(conn, id_, method, body):
    if method == "health.check":
        conn.ok(id_, b"\x01" + text(""))
    elif method in ("event.deliver", "route.serve", "job.run", "plugin.shutdown"):
        try:
            if method == "event.deliver":
                serve_event(conn, id_, body)
            elif method == "route.serve":
                serve_route(conn, id_, body)
            elif method == "job.run":
                serve_job(conn, id_, body)
            else:
                Reader(body).u32()
                conn.ok(id_)
                sys.exit(0)
        except Bad as e:
            conn.err(id_, INVALID, "%s: the request does not decode: %s" % (method, e))
    else:
        conn.err(id_, UNSUPPORTED, 'method "%s" is not supported' % method)


# ---- the handshake (§4) ----

def handshake(conn):
    global greeting
    plugin_id = os.environ.get("FAXBOT_PLUGIN_ID") or "py-echo"
    conn.write_frame(b"FXB1" + varint(1) + varint(0) + varint(1) + varint(0) + text(plugin_id)
                     + text("0.1.0") + text("py-by-hand") + text("0.1.0") + varint(MAX_FRAME))
    reply = conn.read_frame()
    if reply is None:
        sys.exit("py-echo: the host closed the socket instead of answering Hello")
    r = Reader(reply)
    variant = r.u32()
    if variant == 1:
        code = r.u32()
        sys.exit("py-echo: rejected (code %d): %s" % (code, r.str()))
    if variant != 0:
        sys.exit("py-echo: an unknown handshake reply %d" % variant)
    r.u32(), r.u32(), r.str()
    for _ in range(2):
        [r.str() for _ in range(r.u32())]
    r.u64()
    [r.str() for _ in range(r.u32())]
    [(r.str(), r.str()) for _ in range(r.u32())]
    for _ in range(2):
        [r.str() for _ in range(r.u32())]
    r.flag()
    for _ in range(r.u32()):
        key, value = r.str(), r.value()
        if key == "greeting" and isinstance(value, str):
            greeting = value
    limit = r.u32()
    if 0 < limit < conn.max_frame:
        conn.max_frame = limit


def main():
    try:
        os.fstat(3)
    except OSError:
        sys.exit("py-echo is a faxbot plugin: the host starts it with its socket as fd 3")
    conn = Conn(socket.socket(fileno=3))
    handshake(conn)
    while True:
        env = conn.read_envelope()
        if env is None:
            return
        id_, kind, method, _deadline, body = env
        if kind == REQUEST:
            serve(conn, id_, method, body)


if __name__ == "__main__":
    main()
