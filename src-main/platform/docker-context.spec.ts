import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { contextId, dockerEnv, resolveEndpoint, withDockerEnv } from './docker-context.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dusty-context-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a context the way `docker context create` stores it. */
function context(name: string, host: string, opts: { skip?: boolean; tls?: boolean } = {}) {
  const meta = join(dir, 'contexts', 'meta', contextId(name));
  mkdirSync(meta, { recursive: true });
  writeFileSync(
    join(meta, 'meta.json'),
    JSON.stringify({
      Name: name,
      Metadata: { Description: '' },
      Endpoints: { docker: { Host: host, SkipTLSVerify: opts.skip ?? false } },
    }),
  );
  if (opts.tls) {
    const tls = join(dir, 'contexts', 'tls', contextId(name), 'docker');
    mkdirSync(tls, { recursive: true });
    for (const f of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(join(tls, f), 'x');
  }
}
const current = (name: string) =>
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ auths: {}, currentContext: name }));

describe('resolveEndpoint: the engine the docker CLI would use', () => {
  it('names a context by the sha256 of its name, as the docker CLI stores it', () => {
    expect(contextId('desktop-linux')).toBe(
      'fe9c6bd7a66301f49ca9b6a70b217107cd1284598bfc254700c989b916da791e',
    );
  });

  it('uses the default socket when nothing chooses an engine', () => {
    expect(resolveEndpoint({ DOCKER_CONFIG: dir })).toMatchObject({
      context: 'default',
      source: 'default',
      host: 'unix:///var/run/docker.sock',
    });
  });

  it('follows the current context in config.json', () => {
    context('orbstack', 'unix:///Users/me/.orbstack/run/docker.sock');
    current('orbstack');
    expect(resolveEndpoint({ DOCKER_CONFIG: dir })).toMatchObject({
      context: 'orbstack',
      source: 'config.json',
      host: 'unix:///Users/me/.orbstack/run/docker.sock',
    });
  });

  it('lets DOCKER_CONTEXT override config.json, and DOCKER_HOST override both', () => {
    context('orbstack', 'unix:///o.sock');
    context('colima', 'unix:///c.sock');
    current('orbstack');
    expect(resolveEndpoint({ DOCKER_CONFIG: dir, DOCKER_CONTEXT: 'colima' }).host).toBe(
      'unix:///c.sock',
    );
    const e = resolveEndpoint({
      DOCKER_CONFIG: dir,
      DOCKER_CONTEXT: 'colima',
      DOCKER_HOST: 'tcp://10.0.0.5:2375',
    });
    expect(e).toMatchObject({
      source: 'DOCKER_HOST',
      context: 'default',
      host: 'tcp://10.0.0.5:2375',
    });
    expect(e.tlsDir).toBeUndefined();
  });

  it('reads TLS material and SkipTLSVerify from the context', () => {
    context('secure', 'tcp://192.168.99.100:2376', { tls: true });
    context('lax', 'tcp://192.168.99.101:2376', { tls: true, skip: true });
    const secure = resolveEndpoint({ DOCKER_CONFIG: dir, DOCKER_CONTEXT: 'secure' });
    expect(secure.tlsDir).toBe(join(dir, 'contexts', 'tls', contextId('secure'), 'docker'));
    expect(dockerEnv(secure)).toEqual({
      DOCKER_HOST: 'tcp://192.168.99.100:2376',
      DOCKER_CONTEXT: undefined,
      DOCKER_CERT_PATH: secure.tlsDir,
      DOCKER_TLS: '1',
      DOCKER_TLS_VERIFY: '1',
      REQUESTS_CA_BUNDLE: undefined,
      CURL_CA_BUNDLE: undefined,
    });
    const lax = resolveEndpoint({ DOCKER_CONFIG: dir, DOCKER_CONTEXT: 'lax' });
    expect(lax.skipTLSVerify).toBe(true);
    expect(dockerEnv(lax).DOCKER_TLS_VERIFY).toBeUndefined();
  });

  it("keeps Python's CA bundle variables from Compose only for an engine on TLS (they would replace its CA)", () => {
    const bundles = { REQUESTS_CA_BUNDLE: '/etc/ssl/b.crt', CURL_CA_BUNDLE: '/etc/ssl/b.crt' };
    const tls = withDockerEnv(
      resolveEndpoint({
        DOCKER_HOST: 'tcp://h:2376',
        DOCKER_TLS_VERIFY: '1',
        DOCKER_CERT_PATH: '/c',
      }),
      bundles,
    );
    expect(tls).not.toHaveProperty('REQUESTS_CA_BUNDLE');
    expect(tls).not.toHaveProperty('CURL_CA_BUNDLE');
    expect(tls.DOCKER_CERT_PATH).toBe('/c');
    const plain = withDockerEnv(resolveEndpoint({ DOCKER_HOST: 'ssh://u@h' }), bundles);
    expect(plain).toMatchObject(bundles);
  });

  it('takes TLS for DOCKER_HOST from DOCKER_TLS_VERIFY and DOCKER_CERT_PATH', () => {
    const e = resolveEndpoint({
      DOCKER_CONFIG: dir,
      DOCKER_HOST: 'tcp://192.168.99.100:2376',
      DOCKER_TLS_VERIFY: '1',
      DOCKER_CERT_PATH: '/certs',
    });
    expect(e).toMatchObject({ tlsDir: '/certs', skipTLSVerify: false });
    expect(
      resolveEndpoint({ DOCKER_CONFIG: dir, DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS: '1' }),
    ).toMatchObject({ tlsDir: dir, skipTLSVerify: true });
  });

  it('says which context is missing and who chose it', () => {
    current('gone');
    expect(() => resolveEndpoint({ DOCKER_CONFIG: dir })).toThrow(
      `docker context "gone" (chosen by ${join(dir, 'config.json')}) does not exist`,
    );
    expect(() => resolveEndpoint({ DOCKER_CONFIG: dir, DOCKER_CONTEXT: 'nope' })).toThrow(
      /docker context "nope" \(chosen by DOCKER_CONTEXT\) does not exist.*docker context use NAME/,
    );
  });

  it('names the file and key of a broken configuration', () => {
    writeFileSync(join(dir, 'config.json'), '{"currentContext": ');
    expect(() => resolveEndpoint({ DOCKER_CONFIG: dir })).toThrow(
      `the docker CLI configuration ${join(dir, 'config.json')} is not valid JSON`,
    );
    writeFileSync(join(dir, 'config.json'), '{"currentContext": 7}');
    expect(() => resolveEndpoint({ DOCKER_CONFIG: dir })).toThrow(
      'key currentContext must be a string, not 7',
    );
    context('hostless', '');
    expect(() => resolveEndpoint({ DOCKER_CONFIG: dir, DOCKER_CONTEXT: 'hostless' })).toThrow(
      'key Endpoints.docker.Host is missing',
    );
  });

  it('gives a child process DOCKER_HOST without DOCKER_CONTEXT or stale TLS variables', () => {
    context('other', 'unix:///run/other/docker.sock');
    const env = withDockerEnv(resolveEndpoint({ DOCKER_CONFIG: dir, DOCKER_CONTEXT: 'other' }), {
      PATH: '/bin',
      DOCKER_CONTEXT: 'other',
      DOCKER_TLS_VERIFY: '1',
    });
    expect(env).toEqual({ PATH: '/bin', DOCKER_HOST: 'unix:///run/other/docker.sock' });
  });
});
