/**
 * Reads the `Cookie` request header: the first value of each name wins (browsers send the most specific path
 * first); a value that is not valid percent-encoding is kept as sent rather than failing the request.
 */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const index = part.indexOf('=');
    if (index < 0) continue;
    const name = part.slice(0, index).trim();
    if (cookies.has(name)) continue;
    const raw = part.slice(index + 1).trim();
    let value = raw;
    try {
      value = decodeURIComponent(raw);
    } catch {
      // malformed escape: keep the raw value (it will simply not match anything)
    }
    cookies.set(name, value);
  }
  return cookies;
}
