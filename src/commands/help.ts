/**
 * The `--help` text and the version: the options of every command, the fault syntax (from the fault
 * descriptors) and the probe's finding ids (from each protocol's list), so the text cannot drift.
 */
import { existsSync, readFileSync } from 'node:fs';
import { faultLines } from '../faults/table.js';
import { FTP_FINDINGS } from '../probe/ftp-ids.js';
import { SMTP_FINDINGS } from '../probe/smtp-ids.js';
import { DEFAULT_PROBE_LIMITS } from '../probe/types.js';

// Run from src/commands/ the package's package.json is two folders up; built (dist/src/commands/): three.
const PACKAGE_JSON = [new URL('../../package.json', import.meta.url), new URL('../../../package.json', import.meta.url)].find((url) => existsSync(url))!;
export const VERSION = (JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { version: string }).version;

/** `  smtp.greeting   RFC 5321 §3.1...`: the finding ids for the help text, from each protocol's list. */
const FINDING_IDS = [...SMTP_FINDINGS, ...FTP_FINDINGS].map((f) => `  ${f.id.padEnd(26)}${f.checks}`).join('\n');

export const HELP = `wireprobe ${VERSION}: how SMTP and FTP clients behave when the network or the server misbehaves

Usage:
  wireprobe run [--suite NAME,...] [--client NAME,...|all] [--server NAME,...|all] [--json FILE]
                [--junit FILE] [--html FILE] [--transcripts DIR] [--pcap DIR] [--concurrency N]
                [--keylog FILE] [--family 4|6|both] [--tls none|starttls|implicit|all] [--fail-on-deviation] [--no-color] [--verbose] [--blob FILE]
                [--shard I/N [--durations REPORT]] [--only-failed REPORT]
                [--baseline FILE [--fail-on-change]] [--scenarios FILE]... [--config FILE]
                [--client cmd:NAME=TEMPLATE | ./client.mjs]... [--server LAUNCHER:FILE]...
                [--target [NAME=]URL]... [--from ADDRESS] [--rcpt ADDRESS] [--max-messages N]
                [--maildir DIR] [--password-env VAR|--password-file FILE]
  wireprobe matrix smtp|ftp [--clients NAME,...] [--servers NAME,...] [--suite NAME,...]
                [--json FILE] [--junit FILE] [--html FILE] [--transcripts DIR] [--pcap DIR] [--concurrency N] [--verbose]
                [--keylog FILE] [--family 4|6|both] [--tls none|starttls|implicit|all]
                [--blob FILE] [--shard I/N [--durations REPORT]] [--only-failed REPORT]
                [--baseline FILE [--fail-on-change]] [--scenarios FILE]... [--config FILE]
                [--clients cmd:NAME=TEMPLATE | ./client.mjs]... [--servers LAUNCHER:FILE,...]
                [--target [NAME=]URL]... [--from ADDRESS] [--rcpt ADDRESS] [--max-messages N]
                [--maildir DIR] [--password-env VAR|--password-file FILE]
  wireprobe merge REPORT... [--json FILE] [--blob FILE] [--junit FILE] [--html FILE] [--transcripts DIR]
                [--fail-on-deviation]   (one run's reports from its shards' blobs)
  wireprobe diff BEFORE AFTER [--json FILE] [--html FILE]   (cells whose outcome or verdict changed)
  wireprobe list [--suite NAME,...] [--scenarios FILE]... [--config FILE]
  wireprobe serve smtp [--fault SPEC]... [--nth N] [--port P] [--host ADDR]
                [--size-limit SIZE] [--max-clients N] [--auth none|optional|required]
                [--user NAME[:PASSWORD]]... [--password-env VAR|--password-file FILE]
                [--tls off|starttls|implicit [--keylog FILE]] [--keep N] [--control HOST:PORT] [--pcap DIR]
  wireprobe serve ftp [--fault SPEC]... [--nth N] [--port P] [--host ADDR] [--max-clients N]
                [--max-per-address N] [--user NAME[:PASSWORD]]... [--password-env VAR|--password-file FILE]
                [--anonymous off|read|write]
                [--active on|off] [--idle-timeout DURATION] [--keep N] [--control HOST:PORT] [--pcap DIR]
                [--tls off|explicit|implicit [--require-tls-reuse] [--prot-p accept|refuse] [--require-tls]]
  wireprobe probe smtp[s]://[user:password@]host[:port] | ftp[s]://[user[:password]@]host[:port]
                [--json FILE] [--junit FILE] [--fail-on fail|warn] [--max-sessions N]
                [--max-idle SECONDS] [--upload-size SIZE] [--max-data-idle SECONDS] [--quota-probe SIZE]
                [--send] [--rcpt ADDRESS] [--starttls auto|off|require] [--timeout MS] [--no-color]
                [--password-env VAR|--password-file FILE]  (the password off the command line)
  wireprobe --help | --version

Examples:
  wireprobe run                                   every built-in suite, in-process clients
  wireprobe run --suite smtp/resets --json out.json --junit out.xml
  wireprobe matrix ftp --clients basic-ftp,curl --servers mock-ftp,vsftpd --html report.html
  wireprobe matrix smtp --shard 2/4 --blob shard-2.json      one of 4 CI runners' part of the matrix
  wireprobe merge shard-*.json --html report.html --junit report.xml   the 4 parts as one run's reports
  wireprobe run --only-failed out.json --json rerun.json    only what deviated, was unfired or errored
  wireprobe diff before.json after.json           exit 1 when a cell's outcome or verdict changed
  wireprobe run --baseline before.json --fail-on-change
  wireprobe list
  wireprobe run --config ci/wireprobe.config.yaml   clients, targets, servers, scenarios, reports from a file
  wireprobe run --scenarios my-mailer.yaml --client ./my-mailer.mjs      your scenarios, your Node module client
  wireprobe run --client 'cmd:my-curl=curl -sS smtp://{host}:{port} --mail-from {from} --mail-rcpt {to} --upload-file {message}'
  wireprobe run --suite smtp/resets --target staging=smtp://mx.staging.example:25 --from me@example.com
                --rcpt qa@example.com --maildir /var/mail/qa --max-messages 30     real mail to your server
  wireprobe matrix smtp --servers postfix,postfix:./main.cf   stock Postfix and your main.cf side by side
  wireprobe serve smtp --fault 'reset after DATA +64KiB'
  wireprobe serve smtp --fault 'stall before reply to dot' --nth 2 --port 2525
  wireprobe serve ftp --fault 'reset after STOR +1MiB channel data'
  wireprobe serve smtp --control 127.0.0.1:0     faults armed and mail read over HTTP (see README)
  wireprobe serve smtp --tls implicit             smtps://, prints the CA file clients must trust
  wireprobe probe smtp://mail.example.test:587 --json out.json --junit out.xml --fail-on fail
  wireprobe probe ftp://user:pass@ftp.example.test:21 --max-sessions 50 --max-idle 120

Faults (--fault, repeatable):  KIND [ARGS] [AT] [OPTIONS]
${faultLines().join('\n')}
AT:
  on connect                    as soon as the client connects
  after greeting | after EHLO   once the server's reply to it reached the client
  after DATA +64KiB             once 64 KiB of the message body reached the server
  after BDAT +64KiB             the same, counted over the BDAT chunks of one message (RFC 3030)
  before reply to RCPT | dot    the command (or final dot) reached the server, its reply is held
  before reply to BDAT LAST     the last chunk reached the server, its reply (the message's) is held
  before QUIT                   the command is held, never reaches the server
  before handshake              TLS terminated: the client's ClientHello arrived, unanswered
  after STOR +1MiB channel data FTP: once 1 MiB of the upload went over the data connection
OPTIONS: toward client|server, connection N (only the Nth connection),
         channel control|data (FTP: the connection it acts on; default control)

Probe (checks a live server; safe by default: no mail delivered without --send, sessions opened one
at a time up to --max-sessions (default ${DEFAULT_PROBE_LIMITS.maxSessions}), no idle wait without --max-idle, no stalled
upload without --max-data-idle, an FTP upload of --upload-size (default 8MiB, deleted after), no upload
until the quota refuses without --quota-probe SIZE (deleted after), every wait
bounded by --timeout (default ${DEFAULT_PROBE_LIMITS.replyTimeoutMs} ms)). SMTP transactions go to --rcpt (default
${DEFAULT_PROBE_LIMITS.rcpt}). --starttls auto (default): TLS when offered, plain text on a fresh session when STARTTLS
fails, credentials only inside TLS; require: a failed STARTTLS skips the checks that need a session;
off: never STARTTLS, credentials in clear. FTP: a named user logs in after AUTH TLS when FEAT lists it
(auto: in clear when the server refuses it; require: only inside TLS; off: in clear). Finding ids, each
pass, warn, fail or skip:
${FINDING_IDS}

Exit codes: 0 conformant, 1 deviations found (with --fail-on-deviation; probe: a finding at or above
--fail-on; with --fail-on-change: a cell differs from --baseline; diff: a cell differs), 2 bad input, an unreachable probe target, or own error, 3 a
client module's error that nothing caught, outside its runs, stopped run or matrix (reported as on an interrupt), 130 interrupted (Ctrl-C), 143
stopped by SIGTERM (what finished is reported, marked incomplete; a second signal exits at once).
`;
