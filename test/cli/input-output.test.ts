// The CLI's own parsing and printing, in process: option values a hostile or
// careless caller may give, strings from the API that must not reach a
// terminal raw, shell quoting for `eval "$(vpcep env)"`, profile files, and the
// completion script run by a real bash.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { registerClientCommands } from '../../src/cli/commands.ts';
import { bashCompletion } from '../../src/cli/completion.ts';
import {
  cell,
  OutputError,
  parseFormat,
  Printer,
  renderTable,
  safeJson,
  safeLines,
  safeText,
  safeYaml,
} from '../../src/cli/output.ts';
import { parsePortMapping, parseTag, parseTagValues, readArgument } from '../../src/cli/parse.ts';
import {
  checkCredentials,
  profilePath,
  readProfile,
  resolveCredentials,
  writeProfile,
} from '../../src/cli/profiles.ts';
import { exportLines, shellQuote } from '../../src/cli/shell.ts';
import { UsageError } from '../../src/cli/usage.ts';

const dir = mkdtempSync(join(tmpdir(), 'vpcep-cli-unit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

describe('option values', () => {
  test('port mappings: CLIENT:SERVER[/TCP|/UDP] only', () => {
    assert.deepEqual(parsePortMapping('8080:80'), { client_port: 8080, server_port: 80, protocol: 'TCP' });
    assert.deepEqual(parsePortMapping('53:5353/udp'), {
      client_port: 53,
      server_port: 5353,
      protocol: 'UDP',
    });
    // Out-of-range numbers of five digits go to the API, which answers with its own code.
    assert.deepEqual(parsePortMapping('99999:0/TCP'), {
      client_port: 99999,
      server_port: 0,
      protocol: 'TCP',
    });
    for (const bad of [
      '80',
      '1:2:3',
      '123456:1',
      'a:b',
      '1:2/SCTP',
      '1:2\u0000',
      ' 1:2',
      '-1:2',
      '1:2/',
      '9'.repeat(100_000),
    ]) {
      assert.throws(() => parsePortMapping(bad), UsageError, JSON.stringify(bad.slice(0, 20)));
    }
  });

  test('tags: KEY=VALUE, a key alone only where allowed, values split on commas', () => {
    assert.deepEqual(parseTag('env=prod=1'), { key: 'env', value: 'prod=1' });
    assert.deepEqual(parseTag('env='), { key: 'env', value: '' });
    assert.throws(() => parseTag('env'), UsageError);
    assert.throws(() => parseTag('=x'), UsageError);
    assert.deepEqual(parseTag('env', true), { key: 'env' });
    assert.throws(() => parseTag('', true), UsageError);
    assert.deepEqual(parseTagValues('env=a,b'), { key: 'env', values: ['a', 'b'] });
    assert.deepEqual(parseTagValues('env'), { key: 'env', values: [] });
  });

  test('@FILE arguments: read, missing named, over 10 MiB refused; other text taken literally', () => {
    const file = join(dir, 'body.json');
    writeFileSync(file, '{"a":1}');
    assert.equal(readArgument('--data', `@${file}`), '{"a":1}');
    assert.equal(readArgument('--data', '{"literal":true}'), '{"literal":true}');
    assert.throws(() => readArgument('--data', '@/no/such/file'), /cannot read --data file/);
    const big = join(dir, 'big.json');
    writeFileSync(big, '');
    truncateSync(big, 11 * 1024 * 1024);
    assert.throws(() => readArgument('--data', `@${big}`), /exceeds 10 MiB/);
  });
});

describe('printing strings from the API', () => {
  const hostile = [
    'title\u001b]0;pwned\u0007',
    'csi\u009b31m',
    'clear\u001b[2J',
    'nul\u0000del\u007f',
    'bidi\u202eevil',
    'line\u2028break',
    'tab\tnew\nline',
  ];

  test('tables escape every control, separator and bidi character', () => {
    for (const s of hostile) {
      const out = safeText(s);
      assert.doesNotMatch(out, RAW_CONTROL, JSON.stringify(s));
      assert.doesNotMatch(out, /[\t\n]/);
    }
    assert.equal(safeText('a\u001bb'), 'a\\x1bb');
    assert.equal(cell(['x', 1, true]), 'x,1,true');
    assert.equal(cell({ k: 'v\u001b' }), '{"k":"v\\u001b"}');
    assert.equal(cell(undefined), '');
    assert.equal(renderTable(['A', 'LONGER'], [['xx', 'y']]), 'A   LONGER\nxx  y\n');
  });

  test('JSON and YAML stay lossless and hold no raw control character', () => {
    const value = { names: hostile, nested: { [`k\u009b`]: 'v' } };
    const json = safeJson(value);
    assert.doesNotMatch(json, RAW_CONTROL);
    assert.deepEqual(JSON.parse(json), value);
    const yaml = safeYaml(value);
    assert.doesNotMatch(yaml.replace(/\n/g, ''), RAW_CONTROL);
    assert.deepEqual((parseYaml(yaml) as typeof value).names, hostile);
  });

  test('text answers keep their lines and tabs only', () => {
    assert.equal(safeLines('a\tb\nc\u001bd'), 'a\tb\nc\\x1bd');
  });

  test('-o id prints ids one a line, escaped; an answer without ids is an error, not an empty line', () => {
    const out: string[] = [];
    const print = new Printer(parseFormat('id', false), (t) => void out.push(t));
    print.one({ id: 'a1', name: 'x' });
    print.list([{ id: 'b2' }, { id: 3 }], [{ header: 'ID', get: (r: { id: unknown }) => r.id }]);
    print.list([], []);
    print.one({ id: 'c\u001b[2J' });
    assert.equal(out.join(''), 'a1\nb2\n3\nc\\x1b[2J\n');
    assert.throws(() => print.one({ quotas: [] }), OutputError);
    assert.throws(() => print.list([{ id: 'd4' }, { name: 'no id' }], []), OutputError);
    assert.throws(() => parseFormat('ids', false), UsageError);
  });
});

describe('shell quoting for eval "$(vpcep env)"', () => {
  test('any value comes back from bash exactly, and nothing in it runs', () => {
    const marker = join(dir, 'pwned');
    const values = [`a'$(touch ${marker})'b`, '`touch x`', '$HOME', 'multi\nline', "'", '', 'a\\b'];
    for (const value of values) {
      const lines = exportLines({ endpoint: value, ak: 'AK', sk: 'SK', projectId: 'P' });
      const r = spawnSync('bash', ['-c', 'eval "$1"; printf %s "$VPCEP_ENDPOINT"', '_', lines], {
        encoding: 'utf8',
      });
      assert.equal(r.stdout, value, JSON.stringify(value));
    }
    assert.equal(existsSync(marker), false);
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
  });
});

describe('profiles', () => {
  const env = { VPCEP_HOME: join(dir, 'home') };
  const creds = { endpoint: 'http://127.0.0.1:1', ak: 'AK', sk: 'SK', projectId: 'P' };

  test('names are plain file names; credentials are visible ASCII', () => {
    for (const bad of ['../x', 'a/b', '.x', '', 'a'.repeat(65), 'x\u0000']) {
      assert.throws(() => profilePath(bad, env), /invalid profile name/, JSON.stringify(bad));
    }
    for (const ak of ['', 'A K', 'AK\r\nX: 1', 'ä', 'A'.repeat(257)]) {
      assert.throws(() => checkCredentials({ ...creds, ak }, 'test'), /access key/, JSON.stringify(ak));
    }
  });

  test('written 0600 and read back; a file others can read is refused', () => {
    const file = writeProfile('unit', creds, env);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(join(env.VPCEP_HOME, 'profiles')).mode & 0o777, 0o700);
    assert.deepEqual({ ...readProfile('unit', env), source: '' }, { ...creds, source: '' });
    writeProfile('unit', { ...creds, ak: 'AK2' }, env);
    assert.equal(readProfile('unit', env).ak, 'AK2', 'rewritten in place');
    chmodSync(file, 0o640);
    assert.throws(() => readProfile('unit', env), /readable by others/);
    chmodSync(file, 0o600);
  });

  test('--profile, then the environment, then the default profile; --endpoint wins', () => {
    const sdk = { HUAWEICLOUD_SDK_AK: 'EAK', HUAWEICLOUD_SDK_SK: 'ESK', HUAWEICLOUD_SDK_PROJECT_ID: 'EP' };
    assert.equal(resolveCredentials({ profile: 'unit' }, { ...env, ...sdk }).ak, 'AK2');
    assert.equal(resolveCredentials({}, { ...env, ...sdk }).ak, 'EAK');
    assert.equal(resolveCredentials({}, { ...env, ...sdk }).endpoint, 'http://127.0.0.1:8080');
    assert.throws(() => resolveCredentials({}, env), /no credentials/);
    writeProfile('default', { ...creds, ak: 'DEF' }, env);
    assert.equal(resolveCredentials({}, env).ak, 'DEF');
    assert.equal(resolveCredentials({ endpoint: 'http://h:2' }, env).endpoint, 'http://h:2');
    assert.throws(() => resolveCredentials({}, { ...env, HUAWEICLOUD_SDK_AK: 'only-ak' }), /secret key/);
  });
});

describe('shell completion', () => {
  test('bash completes commands, subcommands, options and output formats', () => {
    const program = new Command('vpcep');
    program.command('serve').option('-c, --config <file>');
    registerClientCommands(program);
    const file = join(dir, 'completion.bash');
    writeFileSync(file, bashCompletion(program));
    const lines = [
      'vpcep ser',
      'vpcep endpoints w',
      'vpcep services create --po',
      'vpcep vpcs list -o ',
      'vpcep --profile x vpcs g',
      'vpcep --pro',
      'vpcep -o j',
      'vpcep --profile ',
    ];
    const script = lines
      .map((line) => {
        const words = line.split(' ');
        return `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _vpcep; echo "\${COMPREPLY[*]}"`;
      })
      .join('\n');
    const r = spawnSync('bash', ['-c', `source "$1"\n${script}`, '_', file], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.split('\n').slice(0, lines.length), [
      'serve services',
      'wait',
      '--port-id --port',
      'table json yaml id',
      'get',
      '--profile',
      'json',
      '',
    ]);
  });
});
