"""Moves one file with Python's ftplib, as an application would, and prints what happened as one JSON
line on stdout: {"ok": true, "reply", "resumedAt", "first", "quitError"} or
{"ok": false, "type", "errno", "code", "step", "message", "first"}.

Usage: WIREPROBE_FTP_PASSWORD=pw [WIREPROBE_FTP_SOURCE=127.0.0.2] python3 ftplib-transfer.py HOST PORT USER MODE DIRECTION PATH TIMEOUT_SECONDS POLICY FILE
MODE: passive (PASV; ftplib uses EPSV only over IPv6) or active (PORT; EPRT over IPv6).
DIRECTION: upload (STOR of the local file FILE, read as it goes, as an application uploads a file) or
download (RETR, written to the file FILE).
POLICY: once, or resume: after a failed upload, one more session sends TYPE I and SIZE, then REST
offset + STOR of the rest (a failure reply counts as 0: no file, or no SIZE; then a plain STOR).
The password comes from the environment, never the command line (ps shows arguments). With
WIREPROBE_FTP_SOURCE every connection is made from that local address (FTP's source_address).
TLS: WIREPROBE_FTP_TLS=explicit (FTP_TLS: AUTH TLS, then PBSZ 0 and PROT P) or implicit (the same
class, the control socket wrapped before the greeting); WIREPROBE_FTP_VERIFY=1 verifies the certificate
against WIREPROBE_FTP_CA (a PEM file) or the system's CAs; else no verification (FTP_TLS's own default).
ftplib does not resume the control connection's TLS session on data connections (a server that
requires it answers 522 after 150). When a protected transfer ends in an SSL error or a cut
connection, that pending reply is read and reported as the failure's code: the server's close of the
data connection reaches ftplib as an SSL error or as a reset depending on which of its FIN and RST
comes first (timing, not behaviour), while its reply is the same every time.
"""
import errno
import ftplib
import json
import os
import socket
import ssl
import sys

PASSWORD_ENV = "WIREPROBE_FTP_PASSWORD"
SOURCE_ENV = "WIREPROBE_FTP_SOURCE"
TLS_ENV = "WIREPROBE_FTP_TLS"
VERIFY_ENV = "WIREPROBE_FTP_VERIFY"
CA_ENV = "WIREPROBE_FTP_CA"


class ImplicitFTP_TLS(ftplib.FTP_TLS):
    """FTP_TLS whose control socket is wrapped as soon as it is connected (implicit FTPS): ftplib has no such mode."""

    _sock = None

    @property
    def sock(self):
        return self._sock

    @sock.setter
    def sock(self, value):
        if value is not None and not isinstance(value, ssl.SSLSocket):
            value = self.context.wrap_socket(value, server_hostname=self.host)
        self._sock = value


def tls_context():
    """The SSL context the environment asks for: verifying (the CA file, or the system's CAs), or not."""
    if os.environ.get(VERIFY_ENV) == "1":
        return ssl.create_default_context(cafile=os.environ.get(CA_ENV) or None)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def new_client(timeout, source):
    """FTP, FTP_TLS or ImplicitFTP_TLS, as WIREPROBE_FTP_TLS says."""
    mode = os.environ.get(TLS_ENV, "none")
    address = (source, 0) if source else None
    if mode == "none":
        return ftplib.FTP(timeout=timeout, source_address=address)
    kind = ImplicitFTP_TLS if mode == "implicit" else ftplib.FTP_TLS
    return kind(timeout=timeout, source_address=address, context=tls_context())


class Step:
    """The ftplib method a session is in, reported when it fails."""

    name = "connect"
    pending = None  # the failure reply (ftplib.Error) read after a protected data connection failed


def reply_code(exc):
    """The FTP reply code an ftplib.Error carries in its text ("530 Login incorrect."), if any."""
    text = str(exc)
    return int(text[:3]) if isinstance(exc, ftplib.Error) and text[:3].isdigit() else None


def failure(exc, step):
    number = getattr(exc, "errno", None)
    name = errno.errorcode.get(number) if isinstance(number, int) else None
    if isinstance(exc, (socket.timeout, TimeoutError)):
        name = "ETIMEDOUT"  # a socket timeout has no errno ("timed out")
    code = reply_code(exc) or (reply_code(step.pending) if step.pending else None)
    message = str(exc) if step.pending is None else "%s (then the server: %s)" % (exc, step.pending)
    return {"ok": False, "type": type(exc).__name__, "errno": name, "code": code, "step": step.name, "message": message}


def pending_reply(client, step):
    """After a protected data connection failed: the server's reply to the transfer (522, 426...), if it sent one."""
    try:
        client.getresp()
    except ftplib.Error as exc:
        step.pending = exc
    except Exception:
        pass


def close_quietly(client):
    if client is not None:
        try:
            client.close()
        except Exception:
            pass


def open_session(args, password, step, sessions):
    step.name = "connect"
    step.pending = None
    source = os.environ.get(SOURCE_ENV)
    client = new_client(args["timeout"], source)
    sessions.append(client)  # so a failed session is still closed
    client.connect(args["host"], args["port"])
    step.name = "login"
    client.login(args["user"], password)
    if isinstance(client, ftplib.FTP_TLS):
        step.name = "prot_p"
        client.prot_p()
    client.set_pasv(args["mode"] == "passive")
    return client


def transfer(args, password, step, sessions, resume):
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
        offset = size if size <= os.path.getsize(args["file"]) else 0
    try:
        if args["direction"] == "upload":
            step.name = "storbinary"
            rest = offset if offset else None  # REST n, then STOR (ftplib's transfercmd)
            with open(args["file"], "rb") as source:
                source.seek(offset or 0)
                reply = client.storbinary("STOR " + args["path"], source, rest=rest)
        else:
            step.name = "retrbinary"
            with open(args["file"], "wb") as sink:
                reply = client.retrbinary("RETR " + args["path"], sink.write)
    except (ssl.SSLError, ConnectionResetError, ConnectionAbortedError, BrokenPipeError):
        if isinstance(client, ftplib.FTP_TLS):
            pending_reply(client, step)
        raise
    return client, reply, offset


def main():
    host, port, user, mode, direction, path, timeout, policy, file = sys.argv[1:10]
    args = {"host": host, "port": int(port), "user": user, "mode": mode, "direction": direction, "path": path, "timeout": float(timeout), "file": file}
    password = os.environ.get(PASSWORD_ENV, "")
    step = Step()
    sessions = []
    first = None
    try:
        try:
            client, reply, offset = transfer(args, password, step, sessions, resume=False)
        except Exception as exc:  # every failure is a result here, not a crash
            first = failure(exc, step)
            close_quietly(sessions[-1] if sessions else None)
            if policy != "resume" or direction != "upload":
                print(json.dumps(first))
                return
            client, reply, offset = transfer(args, password, step, sessions, resume=True)
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
