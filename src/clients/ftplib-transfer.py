"""Moves one file with Python's ftplib, as an application would, and prints what happened as one JSON
line on stdout: {"ok": true, "reply", "resumedAt", "first", "quitError"} or
{"ok": false, "type", "errno", "code", "step", "message", "first"}.

Usage: WIREPROBE_FTP_PASSWORD=pw [WIREPROBE_FTP_SOURCE=127.0.0.2] python3 ftplib-transfer.py HOST PORT USER MODE DIRECTION PATH TIMEOUT_SECONDS POLICY OUT
MODE: passive (PASV; ftplib uses EPSV only over IPv6) or active (PORT; EPRT over IPv6).
DIRECTION: upload (the content on stdin, STOR) or download (RETR, written to the file OUT).
POLICY: once, or resume: after a failed upload, one more session sends TYPE I and SIZE, then REST
offset + STOR of the rest (a failure reply counts as 0: no file, or no SIZE; then a plain STOR).
The password comes from the environment, never the command line (ps shows arguments). With
WIREPROBE_FTP_SOURCE every connection is made from that local address (FTP's source_address).
"""
import errno
import ftplib
import io
import json
import os
import socket
import sys

PASSWORD_ENV = "WIREPROBE_FTP_PASSWORD"
SOURCE_ENV = "WIREPROBE_FTP_SOURCE"


class Step:
    """The ftplib method a session is in, reported when it fails."""

    name = "connect"


def reply_code(exc):
    """The FTP reply code an ftplib.Error carries in its text ("530 Login incorrect."), if any."""
    text = str(exc)
    return int(text[:3]) if isinstance(exc, ftplib.Error) and text[:3].isdigit() else None


def failure(exc, step):
    number = getattr(exc, "errno", None)
    name = errno.errorcode.get(number) if isinstance(number, int) else None
    if isinstance(exc, (socket.timeout, TimeoutError)):
        name = "ETIMEDOUT"  # a socket timeout has no errno ("timed out")
    return {"ok": False, "type": type(exc).__name__, "errno": name, "code": reply_code(exc), "step": step.name, "message": str(exc)}


def close_quietly(client):
    if client is not None:
        try:
            client.close()
        except Exception:
            pass


def open_session(args, password, step, sessions):
    step.name = "connect"
    source = os.environ.get(SOURCE_ENV)
    client = ftplib.FTP(timeout=args["timeout"], source_address=(source, 0) if source else None)
    sessions.append(client)  # so a failed session is still closed
    client.connect(args["host"], args["port"])
    step.name = "login"
    client.login(args["user"], password)
    client.set_pasv(args["mode"] == "passive")
    return client


def transfer(args, password, data, step, sessions, resume):
    """One session; returns (client, final reply, offset resumed at or None)."""
    client = open_session(args, password, step, sessions)
    offset = None
    if resume:
        step.name = "size"
        try:
            client.voidcmd("TYPE I")  # some servers (proftpd) refuse SIZE in ASCII mode; storbinary sends it anyway
            size = client.size(args["path"]) or 0
        except ftplib.Error:  # a reply (550 no such file, 502...): start over
            size = 0
        offset = size if size <= len(data) else 0
    if args["direction"] == "upload":
        step.name = "storbinary"
        rest = offset if offset else None  # REST n, then STOR (ftplib's transfercmd)
        reply = client.storbinary("STOR " + args["path"], io.BytesIO(data[offset or 0:]), rest=rest)
    else:
        step.name = "retrbinary"
        with open(args["out"], "wb") as sink:
            reply = client.retrbinary("RETR " + args["path"], sink.write)
    return client, reply, offset


def main():
    host, port, user, mode, direction, path, timeout, policy, out = sys.argv[1:10]
    args = {"host": host, "port": int(port), "user": user, "mode": mode, "direction": direction, "path": path, "timeout": float(timeout), "out": out}
    password = os.environ.get(PASSWORD_ENV, "")
    data = sys.stdin.buffer.read() if direction == "upload" else b""
    step = Step()
    sessions = []
    first = None
    try:
        try:
            client, reply, offset = transfer(args, password, data, step, sessions, resume=False)
        except Exception as exc:  # every failure is a result here, not a crash
            first = failure(exc, step)
            close_quietly(sessions[-1] if sessions else None)
            if policy != "resume" or direction != "upload":
                print(json.dumps(first))
                return
            client, reply, offset = transfer(args, password, data, step, sessions, resume=True)
    except Exception as exc:
        close_quietly(sessions[-1] if sessions else None)
        print(json.dumps({**failure(exc, step), "first": first}))
        return
    quit_error = None
    try:
        client.quit()
    except Exception as exc:  # the transfer is done; QUIT's fate is reported, not fatal
        quit_error = type(exc).__name__
    finally:
        close_quietly(client)
    print(json.dumps({"ok": True, "reply": reply, "resumedAt": offset, "first": first, "quitError": quit_error}))


main()
