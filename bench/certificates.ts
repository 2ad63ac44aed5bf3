/**
 * TLS material for the identity server stand-in: its own throwaway CA and a `localhost` / 127.0.0.1 server
 * certificate issued by it (ECDSA P-256, cheap handshakes). Nothing is written to disk; every contender is handed
 * the CA PEM and trusts it for its connections to the stand-in only.
 */
import { ECDSA_P256, issueTls } from '../identity-server/certificates.js';

/** The CA that clients trust, and the server's certificate chain and key. */
export interface TlsMaterial {
  caPem: string;
  certPem: string;
  keyPem: string;
}

/** Generates a fresh CA and a server certificate for `localhost` and 127.0.0.1, valid for a day. */
export async function generateTls(): Promise<TlsMaterial> {
  const { caPem, certPem, keyPem } = await issueTls({ caName: 'CN=passport-wso2is bench CA', days: 1, algorithm: ECDSA_P256 });
  return { caPem, certPem, keyPem };
}
