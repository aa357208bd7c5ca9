"""Sends one message with Python's smtplib, as an application would, and prints what happened as one
JSON line on stdout: {"ok": true, "reply": ...} or {"ok": false, "type", "errno", "code", "message"}.

Usage: python3 smtplib-send.py HOST PORT FROM TO TIMEOUT_SECONDS [TLS [CAFILE]] < message
TLS: none (default), starttls (STARTTLS required, certificate not verified), starttls-verify (verified),
implicit (SMTP_SSL: TLS from the first octet, RFC 8314 section 3.3, not verified) or implicit-verify.
CAFILE: the PEM file a -verify mode trusts (empty or absent: the system's CAs).
AUTH: with WIREPROBE_SMTP_USER and WIREPROBE_SMTP_PASSWORD in the environment (never on the command line),
login() after STARTTLS, before MAIL (RFC 4954).
"""
import errno
import json
import os
import smtplib
import socket
import ssl
import sys


def failure(exc):
    code = getattr(exc, "smtp_code", None)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code = next(iter(exc.recipients.values()))[0]
    number = getattr(exc, "errno", None)
    # An SSLError's errno is OpenSSL's error number, not an OS errno: it has no errno name.
    name = errno.errorcode.get(number) if isinstance(number, int) and not isinstance(exc, ssl.SSLError) else None
    cause = exc.__cause__ or exc.__context__
    if isinstance(exc, (socket.timeout, TimeoutError)) or isinstance(cause, (socket.timeout, TimeoutError)):
        name = "ETIMEDOUT"  # smtplib wraps a read timeout in SMTPServerDisconnected
    if name is None and isinstance(cause, OSError) and isinstance(cause.errno, int):
        name = errno.errorcode.get(cause.errno)
    return {"ok": False, "type": type(exc).__name__, "errno": name, "code": code, "message": str(exc)}


def tls_context(mode, cafile):
    """None for plaintext; else the context TLS uses: one that verifies the chain (against CAFILE, else the
    system's CAs) and the host name, or one that does not verify at all."""
    if mode == "none":
        return None
    context = ssl.create_default_context(cafile=cafile or None)
    if not mode.endswith("-verify"):
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def main():
    host, port, sender, recipient, timeout = sys.argv[1:6]
    mode = sys.argv[6] if len(sys.argv) > 6 else "none"
    context = tls_context(mode, sys.argv[7] if len(sys.argv) > 7 else "")
    message = sys.stdin.buffer.read()
    try:
        if mode.startswith("implicit"):
            # The handshake is part of connecting: a certificate it rejects raises before any SMTP.
            client = smtplib.SMTP_SSL(host, int(port), timeout=float(timeout), context=context)
        else:
            client = smtplib.SMTP(host, int(port), timeout=float(timeout))
        if context is not None and not mode.startswith("implicit"):
            # Raises on a refusal (SMTPResponseException, e.g. 454) or a failed handshake: never sends in clear.
            client.starttls(context=context)
        user = os.environ.get("WIREPROBE_SMTP_USER")
        if user:
            client.login(user, os.environ.get("WIREPROBE_SMTP_PASSWORD", ""))
        client.sendmail(sender, [recipient], message)
    except Exception as exc:  # every failure is a result here, not a crash
        print(json.dumps(failure(exc)))
        return
    quit_error = None
    try:
        client.quit()
    except Exception as exc:  # the message is already accepted; QUIT's fate is reported, not fatal
        quit_error = type(exc).__name__
    print(json.dumps({"ok": True, "reply": "250 accepted", "quitError": quit_error}))


main()
