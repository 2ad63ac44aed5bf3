import assert from 'node:assert/strict';
import { isSafeReturnTo } from '../lib/index.js';

/** Where a browser on https://app.example.com/login would go when redirected to `value`. */
function browserTarget(value: string): URL {
  return new URL(value, 'https://app.example.com/login');
}

describe('isSafeReturnTo: only same-origin paths', () => {
  describe('accepted', () => {
    for (const value of ['/', '/account', '/account?x=1#y', '/a/b/c?next=%2Fhome', '/javascript:alert(1)', '/@evil.com']) {
      it(`${JSON.stringify(value)} (stays on this origin)`, () => {
        assert.equal(isSafeReturnTo(value), true);
        assert.equal(browserTarget(value).origin, 'https://app.example.com');
      });
    }

    it('percent-encoded CR LF (/%0d%0aSet-Cookie) is accepted: it stays a path and cannot split a header', () => {
      const value = '/%0d%0aSet-Cookie:%20a=b';
      assert.equal(isSafeReturnTo(value), true);
      assert.equal(browserTarget(value).origin, 'https://app.example.com');
    });

    it('percent-encoded slashes and backslashes (/%2F%2Fevil.com, /%5Cevil.com) are accepted: still a path here', () => {
      for (const value of ['/%2F%2Fevil.com', '/%5Cevil.com']) {
        assert.equal(isSafeReturnTo(value), true, value);
        assert.equal(browserTarget(value).origin, 'https://app.example.com');
      }
    });

    it('a long but reasonable path is accepted', () => {
      assert.equal(isSafeReturnTo(`/search?q=${'a'.repeat(1000)}`), true);
    });
  });

  describe('refused', () => {
    const refused: Array<[string, unknown]> = [
      ['protocol-relative //evil.com', '//evil.com'],
      ['triple slash ///evil.com', '///evil.com'],
      ['/\\evil.com (browsers read \\ as /)', '/\\evil.com'],
      ['a backslash anywhere', '/account\\..\\..\\evil'],
      ['an absolute URL', 'https://evil.com'],
      ['an absolute URL to this very host (only paths are taken)', 'https://app.example.com/account'],
      ['javascript:', 'javascript:alert(1)'],
      ['data:', 'data:text/html,<script>alert(1)</script>'],
      ['a scheme-relative-looking http:/evil.com', 'http:/evil.com'],
      ['a relative path without leading slash', 'account'],
      ['a tab before // (\\t//evil)', '\t//evil.com'],
      ['a tab inside //: /\\t/evil.com (URL parsers drop tabs)', '/\t/evil.com'],
      ['a newline inside //: /\\n/evil.com', '/\n/evil.com'],
      ['raw CR LF (header splitting)', '/\r\nSet-Cookie: a=b'],
      ['a NUL byte', '/account\u0000'],
      ['DEL', '/account\u007f'],
      ['leading space', ' /account'],
      ['the empty string', ''],
      ['an over-long value', `/${'a'.repeat(10_000)}`],
      ['undefined', undefined],
      ['null', null],
      ['a number', 42],
      ['an array holding a path', ['/account']],
      ['an object that stringifies to a path', { toString: () => '/account' }],
      ['a String object', new String('/account')],
    ];
    for (const [what, value] of refused) {
      it(what, () => {
        assert.equal(isSafeReturnTo(value), false);
      });
    }

    it('every refused string would otherwise leave the origin or carry control characters', () => {
      // Guards the list above: these are the cases a naive startsWith('/') check lets through.
      for (const value of ['//evil.com', '/\\evil.com', '/\t/evil.com', '/\n/evil.com']) {
        assert.notEqual(browserTarget(value).origin, 'https://app.example.com', value);
        assert.equal(isSafeReturnTo(value), false, value);
      }
    });
  });
});
