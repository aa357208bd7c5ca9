/**
 * The config file: found in the working directory or named with --config, its paths relative to its
 * own folder, its values used where no flag is given (a flag replaces the key), its mistakes one line.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { startSmtp } from '../../src/index.js';
import type { JsonReport } from '../../src/report/json.js';
import { inProcess } from '../helpers/in-process.js';

const ROOT = resolve(import.meta.dirname, '../..');
const QUICK = 'name: quick\nprotocol: smtp\nscenarios:\n  - name: clean\n    size: 2KiB\n';
const OTHER = 'name: other\nprotocol: smtp\nscenarios:\n  - name: clean\n    size: 1KiB\n';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wireprobe-config-'));
  await mkdir(join(dir, 'scenarios'));
  await writeFile(join(dir, 'scenarios', 'quick.yaml'), QUICK);
  await writeFile(join(dir, 'other.yaml'), OTHER);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const report = async (file: string): Promise<string[]> => ((JSON.parse(await readFile(file, 'utf8')) as JsonReport).results ?? []).map((r) => r.id);

describe('the config file', () => {
  it('runs the example config with its scenario file', async () => {
    const json = join(dir, 'example.json');
    const { code, stderr } = await inProcess(['run', '--config', 'examples/wireprobe.config.yaml', '--json', json], ROOT);
    expect([code, stderr]).toEqual([0, '']);
    expect(await report(json)).toEqual(['clean-send', 'reset-mid-body', 'too-big', 'lost-250'].map((s) => `my/mailer/${s}/nodemailer`));
  });

  it('is found in the working directory, its paths relative to its folder', async () => {
    await writeFile(join(dir, 'wireprobe.config.json'), JSON.stringify({ scenarios: ['scenarios/quick.yaml'], reports: { json: 'out/report.json' } }));
    const { code, stdout, stderr } = await inProcess(['run'], dir);
    expect([code, stderr]).toEqual([0, '']);
    expect(stdout).toContain('quick/clean');
    expect(await report(join(dir, 'out', 'report.json'))).toEqual(['quick/clean/nodemailer', 'quick/clean/nodemailer-pool']);
  });

  it('gives way to a flag given: the flag replaces that key', async () => {
    await writeFile(join(dir, 'wireprobe.config.yml'), 'scenarios: [scenarios/quick.yaml]\nreports: { json: out/report.json }\nconcurrency: 1\n');
    const { code, stderr } = await inProcess(['run', '--scenarios', 'other.yaml', '--json', 'flag.json'], dir);
    expect([code, stderr]).toEqual([0, '']);
    expect(await report(join(dir, 'flag.json'))).toEqual(['other/clean/nodemailer', 'other/clean/nodemailer-pool']);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('is read as given with --config, from TypeScript too', async () => {
    await mkdir(join(dir, 'ci'));
    const ts = `import { defineConfig } from ${JSON.stringify(join(ROOT, 'src/index.js'))};\nexport default defineConfig({ scenarios: ['../other.yaml'], clients: ['nodemailer'], failOnDeviation: true });\n`;
    await writeFile(join(dir, 'ci', 'wireprobe.config.ts'), ts);
    const config = await loadConfig('ci/wireprobe.config.ts', dir);
    expect(config).toEqual({
      file: join(dir, 'ci', 'wireprobe.config.ts'),
      scenarios: [join(dir, 'other.yaml')],
      clients: ['nodemailer'],
      failOnDeviation: true,
    });
  });

  it('hands on clients and targets with their paths made absolute', async () => {
    const yaml = [
      'clients:',
      '  - nodemailer',
      "  - 'cmd:mine=my-mailer --to {to}'",
      '  - ./clients/mine.mjs',
      '  - { module: clients/other.ts }',
      '  - { name: up, protocol: ftp, command: "curl -T {file} ftp://{host}:{port}{path}", exitCodes: { "28": timeout }, modes: [passive] }',
      'targets:',
      '  - smtp://127.0.0.1:2525',
      '  - { url: "ftp://alice@127.0.0.1:2121", passwordFile: secrets/ftp, maxMessages: 3 }',
      'servers: [mock-smtp, "postfix:./main.cf"]',
    ].join('\n');
    await writeFile(join(dir, 'wireprobe.config.yaml'), yaml);
    const config = await loadConfig(undefined, dir);
    expect(config?.clients).toEqual([
      'nodemailer',
      'cmd:mine=my-mailer --to {to}',
      join(dir, 'clients/mine.mjs'),
      { module: join(dir, 'clients/other.ts') },
      { name: 'up', protocol: 'ftp', command: 'curl -T {file} ftp://{host}:{port}{path}', exitCodes: { 28: 'timeout' }, modes: ['passive'] },
    ]);
    expect(config?.targets).toEqual(['smtp://127.0.0.1:2525', { url: 'ftp://alice@127.0.0.1:2121', passwordFile: join(dir, 'secrets/ftp'), maxMessages: 3 }]);
    expect(config?.servers).toEqual(['mock-smtp', `postfix:${join(dir, 'main.cf')}`]);
  });

  it('refuses a built-in client named twice in its clients, as a command client named twice', async () => {
    await writeFile(join(dir, 'wireprobe.config.yaml'), 'scenarios: [other.yaml]\nclients: [nodemailer, curl, nodemailer]\n');
    expect(await inProcess(['run'], dir)).toEqual({
      code: 2,
      stdout: '',
      stderr: 'wireprobe: bad --client: the client "nodemailer" is named twice (each client runs once)\n',
    });
    const twice = '  - { name: mine, protocol: smtp, command: "curl {to}" }\n';
    await writeFile(join(dir, 'wireprobe.config.yaml'), `scenarios: [other.yaml]\nclients:\n${twice}${twice}`);
    expect((await inProcess(['run'], dir)).stderr).toBe(
      'wireprobe: bad --client: the client name "mine" is taken (built-in clients and yours need distinct names)\n',
    );
  });

  it("runs its command clients, and a scenario file's pin for one", async () => {
    const command = 'curl -sS --url smtp://{host}:{port} --mail-from {from} --mail-rcpt {to} -T {message}';
    await writeFile(join(dir, 'pinned.yaml'), 'name: pinned\nprotocol: smtp\nscenarios: [{ name: clean, size: 2KiB, outcomes: { my-curl: delivered } }]\n');
    await writeFile(join(dir, 'wireprobe.config.yaml'), `scenarios: [pinned.yaml]\nclients:\n  - { name: my-curl, protocol: smtp, command: "${command}" }\n`);
    const { code, stderr } = await inProcess(['run', '--json', 'out.json'], dir);
    expect([code, stderr]).toEqual([0, '']);
    const { results } = JSON.parse(await readFile(join(dir, 'out.json'), 'utf8')) as JsonReport;
    expect(results.map((r) => [r.id, r.verdict, r.reason])).toEqual([['pinned/clean/my-curl', 'conformant', 'got the pinned outcome delivered (delivered)']]);
  });

  it('lets --client name one of its own clients, run from its folder, beside a built-in one; an unknown name lists them', async () => {
    const conf = join(dir, 'conf');
    await mkdir(conf);
    await writeFile(join(conf, 'broken.mjs'), "throw new Error('loaded');\n");
    await writeFile(join(conf, 'send.sh'), '#!/bin/sh\nexec curl -sS --url "smtp://$1:$2" --mail-from "$3" --mail-rcpt "$4" -T "$5"\n', { mode: 0o755 });
    await writeFile(
      join(conf, 'wireprobe.config.yaml'),
      [
        'scenarios: [../other.yaml]',
        'clients:',
        '  - { name: mine-a, protocol: smtp, command: "curl -sS --url smtp://{host}:{port} --mail-from {from} --mail-rcpt {to} -T {message}" }',
        '  - { name: mine-b, protocol: smtp, command: "./send.sh {host} {port} {from} {to} {message}" }',
        // Never loaded while the names given are the command clients': importing it would throw.
        '  - { module: ./broken.mjs }',
        '',
      ].join('\n'),
    );
    const { code, stderr } = await inProcess(['run', '--config', 'conf/wireprobe.config.yaml', '--client', 'mine-b,nodemailer', '--json', 'out.json'], dir);
    expect([code, stderr]).toEqual([0, '']);
    const { results } = JSON.parse(await readFile(join(dir, 'out.json'), 'utf8')) as JsonReport;
    expect(results.map((r) => [r.id, r.verdict])).toEqual([
      ['other/clean/nodemailer', 'conformant'],
      ['other/clean/mine-b', 'conformant'],
    ]);
    expect((await inProcess(['run', '--config', 'conf/wireprobe.config.yaml', '--client', 'mine-a,mine-a'], dir)).stderr).toBe(
      'wireprobe: bad --client: the client "mine-a" is named twice (each client runs once)\n',
    );
    // A name none of its command clients has: its module is loaded to look, and its failure is the answer.
    expect((await inProcess(['run', '--config', 'conf/wireprobe.config.yaml', '--client', 'mine-c'], dir)).stderr).toMatch(/broken\.mjs.*loaded/);
    await writeFile(join(conf, 'good.mjs'), "export default { name: 'mine-m', protocol: 'smtp', send: async () => '250 ok' };\n");
    await writeFile(
      join(conf, 'good.config.yaml'),
      'clients:\n  - "cmd:mine-a=curl -T {message} smtp://{host}:{port} --mail-from {from} --mail-rcpt {to}"\n  - { module: ./good.mjs }\n',
    );
    expect((await inProcess(['run', '--config', 'conf/good.config.yaml', '--client', 'mine-c'], dir)).stderr).toMatch(
      /^wireprobe: unknown client "mine-c" \(built in: nodemailer, .*; in conf\/good\.config\.yaml: mine-a, mine-m\)\n$/,
    );
  });

  it('runs against its targets, with their envelope, as --target would', async () => {
    const server = await startSmtp();
    try {
      const target = `{ url: "smtp://127.0.0.1:${server.port}", name: staging, from: me@example.test, rcpt: qa@example.test, maxMessages: 2 }`;
      await writeFile(join(dir, 'wireprobe.config.yaml'), `scenarios: [other.yaml]\nclients: [nodemailer]\ntargets:\n  - ${target}\n`);
      const { code, stderr } = await inProcess(['run', '--json', 'out.json'], dir);
      expect([code, stderr]).toEqual([0, `wireprobe: this run sends 1 message(s): 1 to smtp://127.0.0.1:${server.port} (--max-messages 2)\n`]);
      expect(await report(join(dir, 'out.json'))).toEqual(['other/clean/nodemailer@staging']);
      expect(server.messages.map((m) => [m.from, m.to])).toEqual([['me@example.test', ['qa@example.test']]]);
    } finally {
      await server.close();
    }
  });

  it('takes the address family as --family would, and gives way to the flag', async () => {
    await writeFile(join(dir, 'wireprobe.config.yaml'), 'scenarios: [other.yaml]\nclients: [nodemailer]\nfamily: both\n');
    const { code, stderr } = await inProcess(['run', '--json', 'both.json'], dir);
    expect([code, stderr]).toEqual([0, '']);
    const results = (JSON.parse(await readFile(join(dir, 'both.json'), 'utf8')) as JsonReport).results ?? [];
    expect(results.map((r) => [r.id, r.family])).toEqual([
      ['other/clean/nodemailer', 4],
      ['other/clean/nodemailer/ipv6', 6],
    ]);
    const flag = await inProcess(['run', '--family', '4', '--json', 'four.json'], dir);
    expect([flag.code, flag.stderr]).toEqual([0, '']);
    const four = (JSON.parse(await readFile(join(dir, 'four.json'), 'utf8')) as JsonReport).results ?? [];
    expect(four.map((r) => [r.id, r.family])).toEqual([['other/clean/nodemailer', 4]]);
  });

  it('takes the TLS variants as --tls would, and gives way to the flag', async () => {
    await writeFile(join(dir, 'wireprobe.config.yaml'), 'scenarios: [other.yaml]\nclients: [nodemailer]\ntls: all\n');
    const { code, stderr } = await inProcess(['run', '--json', 'all.json'], dir);
    expect([code, stderr]).toEqual([0, '']);
    const results = (JSON.parse(await readFile(join(dir, 'all.json'), 'utf8')) as JsonReport).results ?? [];
    expect(results.map((r) => [r.id, r.tls, r.verdict])).toEqual([
      ['other/clean/nodemailer', 'none', 'conformant'],
      ['other/clean/nodemailer/starttls', 'starttls', 'conformant'],
      ['other/clean/nodemailer/tls', 'implicit', 'conformant'],
    ]);
    const flag = await inProcess(['run', '--tls', 'implicit', '--json', 'implicit.json'], dir);
    expect([flag.code, flag.stderr]).toEqual([0, '']);
    const implicit = (JSON.parse(await readFile(join(dir, 'implicit.json'), 'utf8')) as JsonReport).results ?? [];
    expect(implicit.map((r) => [r.id, r.tls])).toEqual([['other/clean/nodemailer/tls', 'implicit']]);
  });

  it.each([
    [
      'wireprobe.config.yaml',
      'scenario: [a.yaml]\n',
      /^wireprobe: bad config file "wireprobe\.config\.yaml" \(line 1\): \(top\): unknown key "scenario" \(allowed: suites, scenarios,/,
    ],
    [
      'wireprobe.config.yaml',
      'concurrency: 0\n',
      /^wireprobe: bad config file "wireprobe\.config\.yaml" \(line 1\): concurrency: Too small: expected number to be >=1/,
    ],
    ['wireprobe.config.json', '{"reports": {"xml": "r.xml"}}', /^wireprobe: bad config file "wireprobe\.config\.json" \(line 1\): reports: unknown key "xml"/],
    [
      'wireprobe.config.yaml',
      'clients:\n  - { name: x, protocol: smtp, comand: "m {to}" }\n',
      /\(line 2\): clients\[0\]: unknown key "comand" \(allowed: name, protocol, command, exitCodes, modes, directions, message\)/,
    ],
    ['wireprobe.config.yaml', 'clients:\n  - { name: x, protocol: smtp, command: "m", exitCodes: { "28": slow } }\n', /: clients\[0\]\.exitCodes\["28"\]: /],
    ['wireprobe.config.yaml', 'targets: [{ url: "smtp://h", password: x }]\n', /: targets\[0\]: unknown key "password"/],
    ['wireprobe.config.yaml', 'failOnDeviation: yes please\n', /: failOnDeviation: expected boolean/],
    ['wireprobe.config.yaml', 'family: 5\n', /^wireprobe: bad config file "wireprobe\.config\.yaml" \(line 1\): family: expected 4, 6 or both/],
    ['wireprobe.config.yaml', 'tls: on\n', /^wireprobe: bad config file "wireprobe\.config\.yaml" \(line 1\): tls: expected none, starttls, implicit or all/],
    ['wireprobe.config.yaml', 'scenarios: [missing.yaml]\n', /^wireprobe: bad scenario file "missing\.yaml": cannot read it \(ENOENT\)/],
    ['wireprobe.config.yaml', 'targets: [smtp://127.0.0.1:2525]\n', /^wireprobe: --from is required with an smtp:\/\/ --target/],
    [
      'wireprobe.config.yaml',
      'targets:\n  - { url: "smtp://127.0.0.1:2525", from: a@example.test }\n  - { url: "smtp://127.0.0.1:2526", from: b@example.test }\n',
      /^wireprobe: bad config file "wireprobe\.config\.yaml": targets\[1\]\.from: differs from another target's: one --from applies to every target/,
    ],
  ])('%s holding %j is refused in one line naming the file and the path', async (name, text, message) => {
    await writeFile(join(dir, name), text);
    const { code, stdout, stderr } = await inProcess(['run'], dir);
    expect([code, stdout]).toEqual([2, '']);
    expect(stderr).toMatch(message);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('refuses two config files in one folder', async () => {
    await writeFile(join(dir, 'wireprobe.config.json'), '{}');
    await writeFile(join(dir, 'wireprobe.config.yaml'), '{}');
    const { code, stderr } = await inProcess(['list'], dir);
    expect([code, stderr]).toEqual([
      2,
      `wireprobe: two config files in "${dir}": wireprobe.config.json and wireprobe.config.yaml; keep one, or name one with --config\n`,
    ]);
  });
});

describe('matrix', () => {
  it('runs the scenario files of its protocol, from the config file too', async () => {
    await writeFile(join(dir, 'ftp.yaml'), 'protocol: ftp\nscenarios: [{ name: up, size: 4KiB, ftp: { modes: [passive] } }]\n');
    await writeFile(join(dir, 'wireprobe.config.yaml'), 'scenarios: [other.yaml, ftp.yaml]\nservers: [mock-smtp]\nclients: [nodemailer]\n');
    const { code, stderr } = await inProcess(['matrix', 'smtp', '--json', 'm.json'], dir);
    expect([code, stderr]).toEqual([0, '']);
    expect(await report(join(dir, 'm.json'))).toEqual(['other/clean/nodemailer']);
  });

  it('lets --clients name one of its own clients, as run --client does', async () => {
    const command = 'curl -sS --url smtp://{host}:{port} --mail-from {from} --mail-rcpt {to} -T {message}';
    const clients = `  - { name: mine-a, protocol: smtp, command: "${command}" }\n  - { name: mine-b, protocol: smtp, command: "${command}" }\n`;
    await writeFile(join(dir, 'wireprobe.config.yaml'), `scenarios: [other.yaml]\nservers: [mock-smtp]\nclients:\n${clients}`);
    const { code, stderr } = await inProcess(['matrix', 'smtp', '--clients', 'mine-b', '--json', 'm.json'], dir);
    expect([code, stderr]).toEqual([0, '']);
    expect(await report(join(dir, 'm.json'))).toEqual(['other/clean/mine-b']);
  });
});

describe('list', () => {
  it('shows the scenarios of --scenarios', async () => {
    const { code, stdout } = await inProcess(['list', '--scenarios', 'other.yaml'], dir);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^other {2}\(1 scenarios\): scenarios from other\.yaml\n {2}other\/clean {2}no fault/);
    expect(stdout).not.toContain('smtp/resets');
  });

  it("escapes a scenario file's description: it cannot clear or retitle the terminal", async () => {
    await writeFile(
      join(dir, 'esc.yaml'),
      'name: esc\nprotocol: smtp\ndescription: "tricky \\e[2J\\e]0;TITLE\\a done"\nscenarios:\n  - name: clean\n    size: 1KiB\n',
    );
    const { code, stdout } = await inProcess(['list', '--scenarios', 'esc.yaml'], dir);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^esc {2}\(1 scenarios\): tricky \\x1b\[2J\\x1b\]0;TITLE\\x07 done\n/);
    expect(stdout).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f]/);
  });

  it("shows the config file's own clients after the built-in ones, its modules named, never loaded", async () => {
    // Loading this module would throw: list must not import it.
    await writeFile(join(dir, 'boom.mjs'), 'throw new Error("loaded");\nexport function send() {}\n');
    const clients = [
      '  - { name: mailx, protocol: smtp, message: own, command: "mailx-send {host} {port} {to} {message}" }',
      '  - { module: ./boom.mjs }',
      '  - curl',
    ].join('\n');
    await writeFile(join(dir, 'wireprobe.config.yaml'), `clients:\n${clients}\n`);
    const { code, stdout, stderr } = await inProcess(['list'], dir);
    expect([code, stderr]).toEqual([0, '']);
    const own = stdout.slice(stdout.indexOf('\nclients of '), stdout.indexOf('\nfaults'));
    expect(own.split('\n').filter(Boolean)).toEqual([
      'clients of wireprobe.config.yaml (a module is loaded only by run and matrix: importing it runs its code):',
      '  mailx            smtp  command: mailx-send {host} {port} {to} {message} (composes its own message: counted, not compared)',
      '  module boom.mjs',
      '  curl',
    ]);
  });

  it("shows the config file's scenarios, and built-in suites named beside them", async () => {
    await writeFile(join(dir, 'wireprobe.config.yaml'), 'scenarios: [scenarios/quick.yaml]\n');
    const { stdout } = await inProcess(['list', '--suite', 'smtp/tls'], dir);
    expect(stdout).toMatch(/^quick {2}\(1 scenarios\)/);
    expect(stdout).toContain('\nsmtp/tls ');
  });
});
