import type { Request } from 'express';
import { readFormBody } from './form-body.js';

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

/**
 * Reads IS's authorization response from the query (GET) or, for `response_mode=form_post`, from the body:
 * parsed already by a body parser mounted before passport, or read here from the raw request when none is.
 */
export async function readCallback(req: Request): Promise<CallbackRead> {
  const url = req.originalUrl ?? req.url ?? '';
  const query = fromSearchParams(new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : ''));
  if (req.method !== 'POST' || query.kind !== 'none') return query;
  const body = await readFormBody(req);
  if (body === undefined) return { kind: 'none' };
  return body instanceof URLSearchParams ? fromSearchParams(body) : fromParsedBody(body);
}
