/**
 * No request can make a validator backtrack for long: Ajv runs `pattern` and `format` even when
 * `maxLength` already failed, on bodies of up to 1 MiB. Every pattern of the API is checked with
 * recheck (a ReDoS analyser); the one format regex that is not safe (ajv-formats' `url`) is only ever
 * run on input of bounded length.
 */

import { fullFormats } from 'ajv-formats/dist/formats.js';
import { checkSync } from 'recheck';
import { describe, expect, test } from 'vitest';
import document from '../../openapi/openapi.json' with { type: 'json' };
import { isUrl, MAX_URL_LENGTH } from '../../src/lib/json-schema.js';

function patternsOf(node: unknown, found = new Set<string>()): Set<string> {
  if (node && typeof node === 'object') {
    const pattern = (node as { pattern?: unknown }).pattern;
    if (typeof pattern === 'string') found.add(pattern);
    for (const value of Object.values(node)) patternsOf(value, found);
  }
  return found;
}

describe('regular expressions of request validation', () => {
  const patterns = [...patternsOf(document)];

  test('the OpenAPI document has patterns to check', () => {
    expect(patterns.length).toBeGreaterThan(8);
  });

  test.each(patterns)('pattern %s runs in linear time on any input', (pattern) => {
    const result = checkSync(pattern, 'u');
    expect(result.status, JSON.stringify(result.status === 'vulnerable' ? result.attack : result)).toBe(
      'safe',
    );
  });

  test('the url format regex is polynomial, so it only sees bounded input', () => {
    expect(checkSync((fullFormats.url as RegExp).source, 'iu').status).toBe('vulnerable');
    expect(isUrl(`https://example.com/${'a'.repeat(MAX_URL_LENGTH)}`)).toBe(false);
    expect(isUrl('https://example.com/ok')).toBe(true);
    expect(isUrl(`https://${'a:'.repeat(MAX_URL_LENGTH)}@example.com`)).toBe(false);
  });
});
