/**
 * The contenders: what each one is, how it is loaded (lazily, in its own process only), and what it checks,
 * for the report's columns.
 */
import type { CreateContender } from './contender.js';

export type Role = 'subject' | 'peer' | 'baseline';

export interface Contender {
  id: string;
  label: string;
  /** `subject`: passport-wso2is; `peer`: the other strategies; `baseline`: the ceiling without OIDC. */
  role: Role;
  /** Whether the ID token signature is verified against the JWKS. */
  verifiesSignature: boolean | undefined;
  /** Whether a login requests userinfo. */
  userinfo: boolean;
  /** Whether it takes part in the redirect scenario (variants that only differ after the redirect do not). */
  redirect: boolean;
  /** Whether its memory is measured after 10,000 logins. */
  memory: boolean;
  load: () => Promise<CreateContender>;
}

export const CONTENDERS: readonly Contender[] = [
  {
    id: 'baseline',
    label: 'baseline (session + redirect)',
    role: 'baseline',
    verifiesSignature: undefined,
    userinfo: false,
    redirect: true,
    memory: true,
    load: async () => (await import('./baseline.js')).defaults,
  },
  {
    id: 'wso2is',
    label: 'passport-wso2is',
    role: 'subject',
    verifiesSignature: true,
    userinfo: true,
    redirect: true,
    memory: true,
    load: async () => (await import('./wso2is.js')).withUserInfo,
  },
  {
    id: 'wso2is-no-userinfo',
    label: 'passport-wso2is userInfo:false',
    role: 'subject',
    verifiesSignature: true,
    userinfo: false,
    redirect: false,
    memory: false,
    load: async () => (await import('./wso2is.js')).withoutUserInfo,
  },
  {
    id: 'openid-client',
    label: 'openid-client/passport',
    role: 'peer',
    verifiesSignature: false,
    userinfo: false,
    redirect: true,
    memory: true,
    load: async () => (await import('./openid-client.js')).defaults,
  },
  {
    id: 'openid-client-signed',
    label: 'openid-client/passport +sig',
    role: 'peer',
    verifiesSignature: true,
    userinfo: false,
    redirect: false,
    memory: false,
    load: async () => (await import('./openid-client.js')).signed,
  },
  {
    id: 'passport-openidconnect',
    label: 'passport-openidconnect',
    role: 'peer',
    verifiesSignature: false,
    userinfo: false,
    redirect: true,
    memory: true,
    load: async () => (await import('./passport-openidconnect.js')).defaults,
  },
];

export function contender(id: string): Contender {
  const found = CONTENDERS.find((c) => c.id === id);
  if (!found) throw new Error(`unknown contender ${id}; known: ${CONTENDERS.map((c) => c.id).join(', ')}`);
  return found;
}
