/**
 * Token signing keys, one RSA key per tenant as in WSO2 IS (each tenant has its own keystore).
 *
 * A key is published as IS does: `kty: RSA`, `use: sig`, `alg: RS256`, `x5c` (a self-signed certificate for
 * the key), `x5t#S256`, and a `kid` in IS's `<base64url of the hex SHA-256 certificate thumbprint>_RS256`
 * style. Keys are generated once and kept in `<dataDir>/signing-keys/<tenant>.json` so tokens stay valid
 * across restarts; keys added by {@link createSigningKey} for a rotation are kept in memory only.
 */
import { createHash, webcrypto, randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import 'reflect-metadata'; // @peculiar/x509 (through tsyringe) needs a Reflect metadata polyfill
import * as x509 from '@peculiar/x509';
import { withLock, writeAtomic } from './certificates.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

/** A private RSA signing key as a JWK, with the public parameters IS publishes. */
export interface SigningJwk {
  kty: 'RSA';
  kid: string;
  use: 'sig';
  alg: 'RS256';
  n: string;
  e: string;
  d: string;
  p: string;
  q: string;
  dp: string;
  dq: string;
  qi: string;
  x5c: string[];
  'x5t#S256': string;
}

const RSA: RsaHashedKeyGenParams = {
  name: 'RSASSA-PKCS1-v1_5',
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: 'SHA-256',
};

/** Generates a new RS256 signing key for `tenant` with a self-signed certificate and an IS-style `kid`. */
export async function createSigningKey(tenant: string): Promise<SigningJwk> {
  const keys = (await webcrypto.subtle.generateKey(RSA, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(8).toString('hex').replace(/^[89a-f]/, '1'),
    name: `CN=${tenant.replace(/[,=+<>#;"\\]/g, '_')}, O=WSO2, L=Mountain View, ST=CA, C=US`,
    notBefore: new Date(Date.now() - 24 * 3600_000),
    notAfter: new Date(Date.now() + 3 * 365 * 24 * 3600_000),
    keys,
    signingAlgorithm: RSA,
  });
  const der = Buffer.from(cert.rawData);
  const sha256 = createHash('sha256').update(der).digest();
  const jwk = await webcrypto.subtle.exportKey('jwk', keys.privateKey);
  return {
    kty: 'RSA',
    kid: `${Buffer.from(sha256.toString('hex')).toString('base64url')}_RS256`,
    use: 'sig',
    alg: 'RS256',
    n: String(jwk.n),
    e: String(jwk.e),
    d: String(jwk.d),
    p: String(jwk.p),
    q: String(jwk.q),
    dp: String(jwk.dp),
    dq: String(jwk.dq),
    qi: String(jwk.qi),
    x5c: [der.toString('base64')],
    'x5t#S256': sha256.toString('base64url'),
  };
}

function fileFor(dataDir: string, tenant: string): string {
  return join(dataDir, 'signing-keys', `${tenant.replace(/[^A-Za-z0-9._-]/g, '_')}.json`);
}

/** Loads the persisted signing key of `tenant`, creating it on first use. */
export async function loadSigningKey(dataDir: string, tenant: string): Promise<SigningJwk> {
  const file = fileFor(dataDir, tenant);
  const read = async (): Promise<SigningJwk | undefined> => {
    try {
      return JSON.parse(await readFile(file, 'utf8')) as SigningJwk;
    } catch {
      return undefined;
    }
  };
  const existing = await read();
  if (existing) return existing;
  await mkdir(join(dataDir, 'signing-keys'), { recursive: true });
  return withLock(dataDir, async () => {
    const again = await read();
    if (again) return again;
    const key = await createSigningKey(tenant);
    await writeAtomic(file, JSON.stringify(key, null, 2));
    return key;
  });
}
