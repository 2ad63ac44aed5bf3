import type { Request } from 'express';

/** The authorization response parameters the strategy reads. */
export const RESPONSE_PARAMS = ['code', 'state', 'error', 'error_description', 'error_uri', 'iss', 'session_state'] as const;
type ResponseParam = (typeof RESPONSE_PARAMS)[number];

/** An authorization response as IS sent it: each parameter at most once. */
export type CallbackParams = Partial<Record<ResponseParam, string>>;

/** Result of reading a request: not a callback, a callback, or one with a repeated parameter. */
export type CallbackRead =
  | { kind: 'none' }
  | { kind: 'callback'; params: CallbackParams }
  | { kind: 'duplicate'; name: string };

const MAX_BODY_BYTES = 64 * 1024;

function fromSearchParams(search: URLSearchParams): CallbackRead {
  const params: CallbackParams = {};
  for (const name of RESPONSE_PARAMS) {
    const values = search.getAll(name);
    if (values.length > 1) return { kind: 'duplicate', name };
    if (values.length === 1) params[name] = values[0] as string;
  }
  return params.code !== undefined || params.error !== undefined ? { kind: 'callback', params } : { kind: 'none' };
}

/** A body already parsed by `express.urlencoded()` (or similar): arrays mean a repeated parameter. */
function fromParsedBody(body: Record<string, unknown>): CallbackRead {
  const search = new URLSearchParams();
  for (const name of RESPONSE_PARAMS) {
    const value = body[name];
    if (Array.isArray(value)) return { kind: 'duplicate', name };
    if (typeof value === 'string') search.append(name, value);
  }
  return fromSearchParams(search);
}

function readRawBody(req: Request): Promise<string | undefined> {
  return new Promise((resolve) => {
    let size = 0;
    const chunks: Buffer[] = [];
    const done = (value: string | undefined) => {
      req.off('data', onData).off('end', onEnd).off('error', onError);
      resolve(value);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) done(undefined);
      else chunks.push(chunk);
    };
    const onEnd = () => done(Buffer.concat(chunks).toString('utf8'));
    const onError = () => done(undefined);
    req.on('data', onData).on('end', onEnd).on('error', onError);
  });
}

/**
 * Reads IS's authorization response from the query (GET) or, for `response_mode=form_post`, from the body:
 * parsed already by a body parser mounted before passport, or read here from the raw request when none is.
 */
export async function readCallback(req: Request): Promise<CallbackRead> {
  const url = req.originalUrl ?? req.url ?? '';
  const query = fromSearchParams(new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : ''));
  if (req.method !== 'POST' || query.kind !== 'none') return query;
  const type = String(req.headers['content-type'] ?? '').toLowerCase();
  const body: unknown = (req as Request & { body?: unknown }).body;
  if (body !== undefined && body !== null && typeof body === 'object' && !Buffer.isBuffer(body)) {
    return fromParsedBody(body as Record<string, unknown>);
  }
  if (!type.startsWith('application/x-www-form-urlencoded')) return { kind: 'none' };
  const raw = typeof body === 'string' ? body : Buffer.isBuffer(body) ? body.toString('utf8') : req.readable ? await readRawBody(req) : undefined;
  return raw === undefined ? { kind: 'none' } : fromSearchParams(new URLSearchParams(raw));
}
