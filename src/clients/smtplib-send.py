"""Sends one message with Python's smtplib, as an application would, and prints what happened as one
JSON line on stdout: {"ok": true, "reply": ...} or {"ok": false, "type", "errno", "code", "message"}.

Usage: python3 smtplib-send.py HOST PORT FROM TO TIMEOUT_SECONDS [TLS] < message
TLS: none (default), starttls (STARTTLS required, certificate not verified) or starttls-verify (verified).
"""
import errno
import json
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


def tls_context(mode):
    """None for plaintext; else the context STARTTLS uses: the system's default (verifies), or one that does not verify."""
    if mode == "none":
        return None
    context = ssl.create_default_context()
    if mode == "starttls":
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def main():
    host, port, sender, recipient, timeout = sys.argv[1:6]
    context = tls_context(sys.argv[6] if len(sys.argv) > 6 else "none")
    message = sys.stdin.buffer.read()
    try:
        client = smtplib.SMTP(host, int(port), timeout=float(timeout))
        if context is not None:
            # Raises on a refusal (SMTPResponseException, e.g. 454) or a failed handshake: never sends in clear.
            client.starttls(context=context)
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
