import { ClientSecretPost, type ClientAuth } from 'openid-client';

/**
 * Client authentication at IS's token, revocation and introspection endpoints.
 *
 * `client_secret_basic` is sent the way IS reads it: IS does not URL-decode the Basic credentials (RFC 6749 says
 * to form-encode them first), so a secret with `+`, `%`, `/` or `=` would fail with "Client Authentication
 * failed." if encoded. The credentials go only in the header, never also in the body, which IS rejects with
 * "Request body and headers contain authorization information".
 */
export function clientAuthentication(method: 'client_secret_basic' | 'client_secret_post', secret: string): ClientAuth {
  if (method === 'client_secret_post') return ClientSecretPost(secret);
  return (_as, client, _body, headers) => {
    headers.set('authorization', `Basic ${Buffer.from(`${client.client_id}:${secret}`).toString('base64')}`);
  };
}
