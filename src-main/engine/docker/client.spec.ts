import { describe, expect, it } from 'vitest';
import { tlsProblem } from './client.js';

const tlsEnv = {
  DOCKER_HOST: 'tcp://box:2376',
  DOCKER_TLS_VERIFY: '1',
  DOCKER_CERT_PATH: '/certs',
};
const failed = (code: string) => Object.assign(new Error('handshake failed'), { code });

describe("an engine's TLS check failing", () => {
  it('names the certificate folder and what it must hold, for a CA or a client certificate refused', () => {
    for (const code of [
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      'SELF_SIGNED_CERT_IN_CHAIN',
      'ERR_TLS_CERT_ALTNAME_INVALID',
      'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
    ]) {
      const fix = tlsProblem(failed(code), tlsEnv);
      expect(fix, code).toContain('/certs must hold the ca.pem that signed the engine');
      expect(fix, code).toContain('cert.pem and key.pem');
    }
  });

  it('leaves other connection errors alone', () => {
    for (const code of ['ECONNREFUSED', 'ENOENT', 'ECONNRESET', 'ETIMEDOUT'])
      expect(tlsProblem(failed(code), tlsEnv), code).toBeUndefined();
    expect(tlsProblem(new Error('no code'), tlsEnv)).toBeUndefined();
  });
});
