/**
 * TLS material for the local identity server: a self-signed CA and a `localhost` server certificate issued
 * by it, generated on first start and kept in the data directory so that the CA PEM file stays valid for
 * `certificatePath` across restarts.
 *
 * Real WSO2 IS ships a self-signed `CN=localhost` certificate (alias `wso2carbon`); we use a separate CA so
 * that clients trust exactly one PEM file and the server certificate can be reissued without changing it.
 */
import { webcrypto, KeyObject, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import 'reflect-metadata'; // @peculiar/x509 (through tsyringe) needs a Reflect metadata polyfill
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

/** What the HTTPS server and its clients need. */
export interface TlsMaterial {
  /** PEM of the CA that issued the server certificate: the file to give a client as `certificatePath`. */
  caPem: string;
  /** Absolute path of the CA PEM file in the data directory. */
  caPath: string;
  /** Server certificate chain (leaf then CA), PEM. */
  certPem: string;
  /** Server private key, PKCS#8 PEM. */
  keyPem: string;
}

interface StoredTls {
  version: 1;
  caPem: string;
  caKeyPem: string;
  certPem: string;
  keyPem: string;
  notAfter: string;
}

const RSA: RsaHashedKeyGenParams = {
  name: 'RSASSA-PKCS1-v1_5',
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: 'SHA-256',
};
/** ECDSA P-256: cheaper TLS handshakes, for throwaway servers such as the benchmark's stand-in. */
export const ECDSA_P256: EcKeyGenParams & EcdsaParams = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

const DAY = 24 * 60 * 60 * 1000;

function serial(): string {
  // positive, 16 bytes
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

function pkcs8Pem(key: CryptoKey): string {
  return KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** A CA and a `localhost` server certificate it issued, with their private keys (PEM). */
export interface IssuedTls {
  caPem: string;
  caKeyPem: string;
  certPem: string;
  keyPem: string;
  notAfter: Date;
}

/**
 * Generates a CA named `caName` and a server certificate for `localhost`, 127.0.0.1 and ::1 issued by it, valid
 * from a day ago for `days` days. RSA 2048 by default (as IS's own keystore); pass {@link ECDSA_P256} for speed.
 */
export async function issueTls(options: { caName: string; days: number; algorithm?: RsaHashedKeyGenParams | (EcKeyGenParams & EcdsaParams) }): Promise<IssuedTls> {
  const algorithm = options.algorithm ?? RSA;
  const notBefore = new Date(Date.now() - DAY);
  const notAfter = new Date(Date.now() + options.days * DAY);

  const caKeys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: options.caName,
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });

  const serverKeys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: 'CN=localhost, O=passport-wso2is development',
    issuer: ca.subject,
    notBefore,
    notAfter,
    publicKey: serverKeys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | (algorithm === RSA ? x509.KeyUsageFlags.keyEncipherment : 0), true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: 'localhost' },
        { type: 'ip', value: '127.0.0.1' },
        { type: 'ip', value: '::1' },
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });

  return {
    caPem: ca.toString('pem') + '\n',
    caKeyPem: pkcs8Pem(caKeys.privateKey),
    certPem: leaf.toString('pem') + '\n',
    keyPem: pkcs8Pem(serverKeys.privateKey),
    notAfter,
  };
}

async function generateTls(): Promise<StoredTls> {
  const issued = await issueTls({ caName: 'CN=passport-wso2is local identity server CA, O=passport-wso2is development', days: 825 });
  return { version: 1, ...issued, notAfter: issued.notAfter.toISOString() };
}

/** Writes a file through a temporary name and a rename, so readers never see half a file. */
export async function writeAtomic(path: string, data: string): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, data, { mode: 0o600 });
  await rename(tmp, path);
}

/**
 * Runs `fn` holding an exclusive lock file in `dir`, so that several processes sharing a data directory
 * (tests running in parallel, the example app) generate keys once. A lock older than 30 s is stale.
 */
export async function withLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const lock = join(dir, '.lock');
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const handle = await open(lock, 'wx');
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const info = await stat(lock).catch(() => undefined);
      if (info && Date.now() - info.mtimeMs > 30_000) {
        await rm(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`identity server: timed out waiting for lock ${lock}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { force: true });
  }
}

/**
 * Loads the CA and server certificate from `dataDir`, generating them when missing or expiring within a
 * week. Writes `ca.pem` (the CA certificate alone) next to `tls.json` (everything, private keys included).
 */
export async function ensureTls(dataDir: string): Promise<TlsMaterial> {
  await mkdir(dataDir, { recursive: true });
  const bundlePath = join(dataDir, 'tls.json');
  const caPath = join(dataDir, 'ca.pem');

  const load = async (): Promise<StoredTls | undefined> => {
    try {
      const stored = JSON.parse(await readFile(bundlePath, 'utf8')) as StoredTls;
      if (stored.version !== 1 || Date.parse(stored.notAfter) - Date.now() < 7 * DAY) return undefined;
      const onDisk = await readFile(caPath, 'utf8').catch(() => '');
      if (onDisk !== stored.caPem) await writeAtomic(caPath, stored.caPem);
      return stored;
    } catch {
      return undefined;
    }
  };

  let stored = await load();
  if (!stored) {
    stored = await withLock(dataDir, async () => {
      const again = await load();
      if (again) return again;
      const fresh = await generateTls();
      await writeAtomic(bundlePath, JSON.stringify(fresh, null, 2));
      await writeAtomic(caPath, fresh.caPem);
      return fresh;
    });
  }
  return {
    caPem: stored.caPem,
    caPath,
    certPem: stored.certPem + stored.caPem,
    keyPem: stored.keyPem,
  };
}
