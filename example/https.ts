/**
 * The example's HTTPS server. It listens before the application exists, so that tests (port 0) know the port,
 * and with it the callback URLs, before they register the application in IS and build the app.
 */
import { createServer, type Server } from 'node:https';
import type { RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ensureTls } from '../identity-server/certificates.js';

/** A listening HTTPS server waiting for its request handler. */
export interface HttpsListener {
  /** The port listened on. */
  port: number;
  /** `https://localhost:{port}` */
  origin: string;
  /** Hands the requests to `app` (an Express application). Until then they wait. */
  serve(app: RequestListener): void;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

/**
 * The certificate the example serves: the local identity server's own `localhost` certificate, issued by its CA
 * (`{dataDir}/ca.pem`, generated on first use). It names `localhost` (and 127.0.0.1) and no port, so the same
 * certificate serves IS on 9443 and the example on 5000, and trusting that one CA file trusts both.
 */
export async function localCertificate(dataDir: string): Promise<{ cert: string; key: string; caPath: string }> {
  const tls = await ensureTls(dataDir);
  return { cert: tls.certPem, key: tls.keyPem, caPath: tls.caPath };
}

/** Listens on `port` (0: a free one) on loopback with the given certificate. */
export async function listenHttps(options: { cert: string; key: string; port: number; host?: string }): Promise<HttpsListener> {
  let handler: RequestListener | undefined;
  const waiting: Array<() => void> = [];
  const server: Server = createServer({ cert: options.cert, key: options.key }, (req, res) => {
    if (handler) return handler(req, res);
    waiting.push(() => handler?.(req, res));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? 'localhost', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    origin: `https://localhost:${port}`,
    serve(app) {
      handler = app;
      for (const run of waiting.splice(0)) run();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
