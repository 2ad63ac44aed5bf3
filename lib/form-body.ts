import type { Request } from 'express';

/** Largest form body read from the request (IS's callbacks and logout tokens are a few KiB). */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * The form-urlencoded body of a POST (IS's `form_post` callback, its back-channel logout): the object a body parser
 * mounted before produced, or the raw body read here when none was mounted (at most 64 KiB). `undefined` when the
 * request is not a form, the body was already consumed, or it is too large or broken.
 */
export function readFormBody(req: Request): Promise<URLSearchParams | Record<string, unknown> | undefined> {
  const body: unknown = (req as Request & { body?: unknown }).body;
  if (body !== undefined && body !== null && typeof body === 'object' && !Buffer.isBuffer(body)) return Promise.resolve(body as Record<string, unknown>);
  const type = String(req.headers['content-type'] ?? '').toLowerCase();
  if (!type.startsWith('application/x-www-form-urlencoded')) return Promise.resolve(undefined);
  if (typeof body === 'string') return Promise.resolve(new URLSearchParams(body));
  if (Buffer.isBuffer(body)) return Promise.resolve(new URLSearchParams(body.toString('utf8')));
  if (!req.readable) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    let size = 0;
    const chunks: Buffer[] = [];
    const done = (value: URLSearchParams | undefined) => {
      req.off('data', onData).off('end', onEnd).off('error', onError);
      resolve(value);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) done(undefined);
      else chunks.push(chunk);
    };
    const onEnd = () => done(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
    const onError = () => done(undefined);
    req.on('data', onData).on('end', onEnd).on('error', onError);
  });
}
