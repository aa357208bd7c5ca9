"""An FTP client that aborts a download the RFC 959 §4.1.3 way: IAC IP, then the Synch (IAC DM with the
DM sent as TCP urgent data, MSG_OOB: Node can neither send nor read urgent data), then ABOR. It keeps
reading the data connection to its end, then reads the two replies that follow the 150, then QUITs.

usage: urgent-abor.py HOST PORT USER PASSWORD PATH [rfc|netftp]; prints one JSON object: the replies
after the 150 (final lines) and the data octets received. `rfc` (default) sends IAC IP, IAC DM with the DM
urgent, ABOR; `netftp` as Perl's Net::FTP does: IAC IP IAC with the second IAC urgent, then DM ABOR.
"""
import json
import re
import socket
import sys

host, port, user, password, path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
style = sys.argv[6] if len(sys.argv) > 6 else 'rfc'
control = socket.create_connection((host, port), timeout=30)
replies = control.makefile('rb')


def reply():
    """The final line of the next reply (RFC 959 §4.2: `ddd-` opens a multi-line one, `ddd ` ends it)."""
    line = replies.readline().decode('latin1').rstrip('\r\n')
    if not line:
        return '(connection closed)'
    if re.match(r'^\d{3}-', line):
        code = line[:3]
        while not (line.startswith(code + ' ')):
            line = replies.readline().decode('latin1').rstrip('\r\n')
    return line


def command(line):
    control.sendall(line.encode('latin1') + b'\r\n')
    return reply()


def expect(got, code):
    if not got.startswith(code):
        sys.exit('unexpected reply: ' + got)


expect(reply(), '220')
answer = command('USER ' + user)
if answer.startswith('331'):
    answer = command('PASS ' + password)
expect(answer, '230')
expect(command('TYPE I'), '200')
pasv = command('PASV')
expect(pasv, '227')
numbers = [int(n) for n in re.search(r'(\d+),(\d+),(\d+),(\d+),(\d+),(\d+)', pasv).groups()]
data = socket.create_connection(('.'.join(map(str, numbers[:4])), numbers[4] * 256 + numbers[5]), timeout=30)
expect(command('RETR ' + path), '150')
received = len(data.recv(65536))
if style == 'netftp':
    control.send(b'\xff\xf4\xff', socket.MSG_OOB)  # IAC IP IAC, the IAC urgent
    control.send(b'\xf2ABOR\r\n')
else:
    control.send(b'\xff\xf4')  # IAC IP
    control.send(b'\xff\xf2', socket.MSG_OOB)  # the Synch: IAC DM, the DM urgent
    control.send(b'ABOR\r\n')
after = 0
while True:
    chunk = data.recv(1 << 20)
    if not chunk:
        break
    after += len(chunk)
data.close()
after_abor = [reply(), reply()]
command('QUIT')
print(json.dumps({'replies': after_abor, 'received': received + after}))
