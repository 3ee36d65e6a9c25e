/** Where the TLS files of one DUSTY_HOME are (no X.509 library: cheap to import). */
import { join } from 'node:path';

/** Where the TLS files of one DUSTY_HOME are. */
export interface TlsPaths {
  dir: string;
  caCert: string;
  caKey: string;
  /** The only folder the router mounts: the leaf and its key. */
  routerDir: string;
  leafCert: string;
  leafKey: string;
}

export function tlsPaths(home: string): TlsPaths {
  const dir = join(home, 'tls');
  const routerDir = join(dir, 'router');
  return {
    dir,
    caCert: join(dir, 'ca.pem'),
    caKey: join(dir, 'ca-key.pem'),
    routerDir,
    leafCert: join(routerDir, 'cert.pem'),
    leafKey: join(routerDir, 'key.pem'),
  };
}
