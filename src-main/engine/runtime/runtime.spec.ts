import { describe, expect, it } from 'vitest';
import { engineEndpoint } from '../docker/client.js';
import { projectName } from '../docker/compose-runner.js';
import { scriptText } from './ops.js';
import { parseLocation } from './transfer.js';
import { demuxToString } from './containers.js';

describe('scripts', () => {
  it('appends arguments, shell-quoted, to the last line only', () => {
    expect(scriptText(['cd /x', 'greet'], ['Ann', "O'Brien", '$HOME'])).toBe(
      "set -e\ncd /x\ngreet 'Ann' 'O'\\''Brien' '$HOME'",
    );
  });
  it('leaves the script as written when no arguments are given', () => {
    expect(scriptText(['a', 'b'], [])).toBe('set -e\na\nb');
  });
});

describe('cp locations', () => {
  it('reads NAME:/path as a container path', () => {
    expect(parseLocation('web:/tmp/x')).toEqual({ container: 'web', path: '/tmp/x' });
  });
  it('reads anything else as a host path', () => {
    expect(parseLocation('./notes.txt')).toEqual({ path: './notes.txt' });
    expect(parseLocation('/abs/a:b')).toEqual({ path: '/abs/a:b' });
  });
  it('refuses a relative container path with a message saying how to write it', () => {
    expect(() => parseLocation('web:tmp/x')).toThrow(/must be absolute, as in NAME:\/path/);
  });
});

describe('engine selection', () => {
  it('uses DOCKER_HOST when set', () => {
    expect(engineEndpoint({ DOCKER_HOST: 'tcp://10.0.0.5:2375' })).toBe('tcp://10.0.0.5:2375');
  });
  it('falls back to the local socket without a context', () => {
    expect(engineEndpoint({ DOCKER_CONFIG: '/nonexistent' })).toBe('unix:///var/run/docker.sock');
  });
  it('keeps test projects apart with DUSTY_PROJECT and ignores unsafe names', () => {
    expect(projectName({})).toBe('dusty');
    expect(projectName({ DUSTY_PROJECT: 'e2eup' })).toBe('e2eup');
    expect(projectName({ DUSTY_PROJECT: '../x' })).toBe('dusty');
  });
});

describe('log frames', () => {
  it('strips the engine frame headers from non-TTY logs', () => {
    const frame = (type: number, s: string) => {
      const body = Buffer.from(s);
      const h = Buffer.alloc(8);
      h[0] = type;
      h.writeUInt32BE(body.length, 4);
      return Buffer.concat([h, body]);
    };
    expect(demuxToString(Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n')]))).toBe('out\nerr\n');
  });
});
