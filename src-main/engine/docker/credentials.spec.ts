import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { credentialsFor, DOCKER_HUB, isAuthRefusal, registryOf } from './credentials.js';

let dir: string;
let env: NodeJS.ProcessEnv;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dusty-creds-'));
  mkdirSync(join(dir, 'bin'));
  env = { ...process.env, DOCKER_CONFIG: dir, PATH: `${join(dir, 'bin')}:${process.env.PATH}` };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const config = (c: unknown) => writeFileSync(join(dir, 'config.json'), JSON.stringify(c));
const b64 = (s: string) => Buffer.from(s).toString('base64');

/** A stand-in credential helper: a real program speaking the helper protocol, logging what it was asked. */
function helper(name: string, answers: Record<string, { Username: string; Secret: string }>) {
  const path = join(dir, 'bin', `docker-credential-${name}`);
  const cases = Object.entries(answers)
    .map(([server, a]) => `  '${server}') echo '${JSON.stringify({ ServerURL: server, ...a })}' ;;`)
    .join('\n');
  writeFileSync(
    path,
    `#!/bin/sh\n[ "$1" = get ] || exit 2\nread -r server\necho "$server" >> "${join(dir, `${name}.log`)}"\ncase "$server" in\n${cases}\n  *) echo 'credentials not found in native keychain'; exit 1 ;;\nesac\n`,
  );
  chmodSync(path, 0o755);
}

describe('registry credentials as the docker CLI reads them', () => {
  it('names the registry of an image reference', () => {
    expect(registryOf('busybox')).toBe('docker.io');
    expect(registryOf('team/app:1')).toBe('docker.io');
    expect(registryOf('registry.example.com/team/app')).toBe('registry.example.com');
    expect(registryOf('localhost:5000/app')).toBe('localhost:5000');
  });

  it('reads the auths entry docker login wrote, for Docker Hub and for a registry', async () => {
    config({
      auths: {
        [DOCKER_HUB]: { auth: b64('hubuser:hub:pass') },
        'registry.example.com': { auth: b64('me:secret') },
        'https://tok.example.com': { identitytoken: 'tkn' },
      },
    });
    expect(await credentialsFor('team/app', env)).toEqual({
      username: 'hubuser',
      password: 'hub:pass',
      serveraddress: DOCKER_HUB,
    });
    expect(await credentialsFor('registry.example.com/a/b:1', env)).toEqual({
      username: 'me',
      password: 'secret',
      serveraddress: 'registry.example.com',
    });
    expect(await credentialsFor('tok.example.com/x', env)).toEqual({
      identitytoken: 'tkn',
      serveraddress: 'https://tok.example.com',
    });
    expect(await credentialsFor('other.example.com/x', env)).toBeUndefined();
  });

  it('asks the registry’s credHelpers entry first, then credsStore (stand-in helper)', async () => {
    helper('team', { 'registry.example.com': { Username: 'bot', Secret: 's3' } });
    helper('store', { [DOCKER_HUB]: { Username: '<token>', Secret: 'idtok' } });
    config({
      credHelpers: { 'registry.example.com': 'team' },
      credsStore: 'store',
      auths: { 'registry.example.com': { auth: b64('old:old') } },
    });
    expect(await credentialsFor('registry.example.com/a', env)).toEqual({
      username: 'bot',
      password: 's3',
      serveraddress: 'registry.example.com',
    });
    expect(await credentialsFor('busybox', env)).toEqual({
      identitytoken: 'idtok',
      serveraddress: DOCKER_HUB,
    });
  });

  it('has nothing without a config file, and says when a helper cannot run', async () => {
    expect(await credentialsFor('busybox', env)).toBeUndefined();
    config({ credsStore: 'missing' });
    await expect(credentialsFor('busybox', env)).rejects.toThrow(
      /cannot run docker-credential-missing/,
    );
  });

  it('tells a refused pull from other failures', () => {
    expect(
      isAuthRefusal(
        'pull access denied for x, repository does not exist or may require docker login',
      ),
    ).toBe(true);
    expect(isAuthRefusal('unauthorized: authentication required')).toBe(true);
    expect(isAuthRefusal('dial tcp: lookup registry-1.docker.io: no such host')).toBe(false);
  });
});

describe('a refused pull', () => {
  it('says which docker login to run', async () => {
    const { pullFailureReason } = await import('./pull.js');
    expect(
      pullFailureReason(
        'registry.example.com/team/app',
        new Error('(HTTP code 401) unexpected - unauthorized: authentication required'),
      ),
    ).toBe(
      'unauthorized: authentication required (the registry needs your credentials: run `docker login registry.example.com`, then try again)',
    );
    expect(pullFailureReason('team/app', new Error('manifest unknown'), true)).toContain(
      'run `docker login`,',
    );
    expect(pullFailureReason('busybox', new Error('no such host'))).toBe('no such host');
  });
});
