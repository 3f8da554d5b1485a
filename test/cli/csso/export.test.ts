/** `csso export` never writes a secret into a file: whatever sits at a secret field becomes { keep: true }. */
import { describe, expect, test } from 'vitest';
import { keepSecrets } from '../../../src/cli/csso/commands/export.js';

describe('keepSecrets', () => {
  test('leaves { keep: true }, absent secrets and a removed SAML key (null) as they are', () => {
    const document = {
      entries: [
        { orgs: ['a'], sso: { kind: 'oidc', idpClientId: 'x', idpClientSecret: { keep: true } } },
        { orgs: ['b'], sso: { kind: 'saml', decryptionPrivateKey: null } },
        { orgs: ['c'], sso: { kind: 'disabled' } },
      ],
    };
    expect(keepSecrets(document)).toEqual({ document, replaced: 0 });
  });

  test('replaces a value (a secret, or a fingerprint the service should never have sent) by { keep: true }', () => {
    const { document, replaced } = keepSecrets({
      entries: [
        { orgs: ['a'], sso: { kind: 'oidc', idpClientSecret: 'plain-secret' } },
        { orgs: ['b'], sso: { kind: 'saml', decryptionPrivateKey: { fingerprint: 'hmac-sha256:ab' } } },
      ],
    });
    expect(replaced).toBe(2);
    expect(document.entries).toEqual([
      { orgs: ['a'], sso: { kind: 'oidc', idpClientSecret: { keep: true } } },
      { orgs: ['b'], sso: { kind: 'saml', decryptionPrivateKey: { keep: true } } },
    ]);
    expect(JSON.stringify(document)).not.toContain('plain-secret');
  });
});
