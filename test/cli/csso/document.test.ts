/** Reading a desired-state file: YAML or JSON, syntax errors with line and column, secrets from the environment. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadDesiredState, parseDesiredState } from '../../../src/cli/csso/document.js';
import { CliError } from '../../../src/cli/csso/errors.js';

const YAML_DOCUMENT = `# two tenants of one IdP
entries:
  - selector: env=prod,region=eu
    note: EU production
    sso:
      kind: oidc
      idpIssuer: https://login.example.com/{org.labels.tenant}/v2.0
      idpClientId: "{org.slug}-cognigy"
      idpClientSecret: { env: EU_SECRET }
  - orgs: [acme, globex]
    sso:
      kind: oidc
      idpIssuer: https://login.example.com/shared
      idpClientId: shared
      idpClientSecret: { keep: true }
`;

function failure(run: () => unknown): CliError {
  try {
    run();
  } catch (error) {
    if (error instanceof CliError) return error;
    throw error;
  }
  throw new Error('expected a CliError');
}

describe('parseDesiredState', () => {
  test('reads YAML, replaces { env: NAME } at a secret with the variable, keeps { keep: true } and placeholders as written', () => {
    const loaded = parseDesiredState(YAML_DOCUMENT, 'sso.yaml', { EU_SECRET: 'eu-secret-value-1234' });
    expect(loaded.document).toEqual({
      entries: [
        {
          selector: 'env=prod,region=eu',
          note: 'EU production',
          sso: {
            kind: 'oidc',
            idpIssuer: 'https://login.example.com/{org.labels.tenant}/v2.0',
            idpClientId: '{org.slug}-cognigy',
            idpClientSecret: 'eu-secret-value-1234',
          },
        },
        {
          orgs: ['acme', 'globex'],
          sso: {
            kind: 'oidc',
            idpIssuer: 'https://login.example.com/shared',
            idpClientId: 'shared',
            idpClientSecret: { keep: true },
          },
        },
      ],
    });
    expect(loaded.secrets).toEqual(['eu-secret-value-1234']);
  });

  test('reads JSON the same way', () => {
    const json = JSON.stringify({
      entries: [{ orgs: ['acme'], sso: { kind: 'saml', decryptionPrivateKey: { env: 'SAML_KEY' } } }],
    });
    const loaded = parseDesiredState(json, 'sso.json', { SAML_KEY: 'pem-text' });
    expect(loaded.document.entries).toEqual([
      { orgs: ['acme'], sso: { kind: 'saml', decryptionPrivateKey: 'pem-text' } },
    ]);
  });

  test('a YAML syntax error names the file, line and column', () => {
    const broken = 'entries:\n  - orgs: [acme\n    sso: { kind: oidc }\n';
    const error = failure(() => parseDesiredState(broken, 'sso.yaml', {}));
    expect(error.message).toMatch(/^sso\.yaml:\d+:\d+: syntax error at line \d+, column \d+: /);
    expect(error.exitCode).toBe(1);
  });

  test('a key given twice is an error at its second occurrence', () => {
    const twice = 'entries:\n  - orgs: [acme]\n    orgs: [globex]\n';
    expect(failure(() => parseDesiredState(twice, 'sso.yaml', {})).message).toMatch(
      /^sso\.yaml:3:5: syntax error at line 3, column 5: Map keys must be unique/,
    );
  });

  test('a JSON syntax error names its line and column too', () => {
    const json = '{\n  "entries": [\n    { "orgs": ["acme"] "sso": {} }\n  ]\n}';
    expect(failure(() => parseDesiredState(json, 'sso.json', {})).message).toMatch(
      /^sso\.json:3:24: syntax error at line 3, column 24: Unexpected double-quoted-scalar/,
    );
  });

  test('a placeholder YAML reads as a mapping, or cannot read, is refused with a hint to quote it', () => {
    const bare = 'entries:\n  - orgs: [acme]\n    sso:\n      kind: oidc\n      idpClientId: {org.slug}\n';
    expect(failure(() => parseDesiredState(bare, 'sso.yaml', {})).message).toBe(
      'sso.yaml:5:20: /entries/0/sso/idpClientId: {org.slug} was read as a mapping: quote a value that starts with a placeholder, e.g. idpClientId: "{org.slug}-cognigy"',
    );
    const suffixed = bare.replace('{org.slug}', '{org.slug}-cognigy');
    expect(failure(() => parseDesiredState(suffixed, 'sso.yaml', {})).message).toMatch(
      /^sso\.yaml:5:\d+: syntax error .*\(quote a value that starts with a placeholder/,
    );
  });

  test('a missing environment variable is an error naming it and where it is asked for', () => {
    const error = failure(() => parseDesiredState(YAML_DOCUMENT, 'sso.yaml', {}));
    expect(error.message).toBe(
      'sso.yaml:9:24: /entries/0/sso/idpClientSecret: the environment variable EU_SECRET is not set',
    );
  });

  test('an empty variable counts as missing', () => {
    expect(failure(() => parseDesiredState(YAML_DOCUMENT, 'sso.yaml', { EU_SECRET: '' })).message).toMatch(
      /EU_SECRET is not set/,
    );
  });

  test('{ env: NAME } anywhere but at a secret is refused (only secrets come from the environment)', () => {
    const text =
      'entries:\n  - orgs: [acme]\n    sso:\n      kind: oidc\n      idpClientId: { env: CLIENT }\n';
    expect(failure(() => parseDesiredState(text, 'sso.yaml', { CLIENT: 'x' })).message).toBe(
      'sso.yaml:5:20: /entries/0/sso/idpClientId: { env: NAME } is accepted only for a secret (idpClientSecret, decryptionPrivateKey)',
    );
  });

  test('a document without a list of entries is refused', () => {
    expect(failure(() => parseDesiredState('orgs: [acme]\n', 'sso.yaml', {})).message).toMatch(
      /^sso\.yaml:1:1: a desired-state document is a mapping with a list `entries`/,
    );
  });

  test('locates a pointer the service answers: a field at its key, an item at its value, else the nearest that exists', () => {
    const loaded = parseDesiredState(YAML_DOCUMENT, 'sso.yaml', { EU_SECRET: 'x-secret' });
    expect(loaded.locate('/entries/1/orgs/1')).toBe('sso.yaml:10:18');
    // a field at its key; one the file does not have at the nearest key that is there
    expect(loaded.locate('/document/entries/0/sso/idpIssuer')).toBe('sso.yaml:7:7');
    expect(loaded.locate('/body/document/entries/0/note')).toBe('sso.yaml:4:5');
    expect(loaded.locate('/entries/1/sso/idpAdditionalScope')).toBe('sso.yaml:11:5');
    expect(loaded.locate('not a pointer')).toBeUndefined();
  });
});

describe('the README’s example', () => {
  test('is a document csso reads, its secret taken from the environment', async () => {
    const readme = await readFile(join(import.meta.dirname, '../../../README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Command-line tool: csso'));
    const example = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
    expect(example).toBeDefined();
    const text = (example as string).replace(/^ {2}/gm, '');
    const loaded = parseDesiredState(text, 'README.md', { EU_CLIENT_SECRET: 'from-the-environment' });
    expect(loaded.document.entries).toHaveLength(2);
    expect(loaded.document.entries[0]).toMatchObject({
      selector: 'env=prod,region=eu',
      sso: { idpClientId: '{org.slug}-cognigy', idpClientSecret: 'from-the-environment' },
    });
  });
});

describe('loadDesiredState', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'csso-document-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test('reads a file by its path', async () => {
    const path = join(dir, 'sso.yaml');
    await writeFile(path, YAML_DOCUMENT);
    const loaded = await loadDesiredState(path, { EU_SECRET: 's3cret-value' });
    expect(loaded.source).toBe(path);
    expect(loaded.document.entries).toHaveLength(2);
  });

  test('a file that does not exist is an error naming it', async () => {
    await expect(loadDesiredState(join(dir, 'missing.yaml'), {})).rejects.toThrow(
      /cannot read .*missing\.yaml/,
    );
  });
});
