const BASE = 'https://return-to.invalid';

/**
 * Whether `value` is a safe place to send the user after login: a path on this application's own origin.
 * Refuses absolute URLs, protocol-relative `//host`, `/\host` (browsers read `\` as `/`), `javascript:`,
 * control characters and anything that would resolve to another origin.
 */
export function isSafeReturnTo(value: unknown): value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) return false;
  if (!value.startsWith('/') || value.startsWith('//') || value.includes('\\')) return false;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) return false;
  try {
    return new URL(value, BASE).origin === BASE;
  } catch {
    return false;
  }
}
