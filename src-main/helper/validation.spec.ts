import { describe, expect, it } from 'vitest';
import {
  HelperParamsSchemas,
  HelperRequestEnvelopeSchema,
  exportPathProblem,
  isHostname,
  isIPv4,
  isIPv6,
  isNfsClient,
} from '../../src-shared/helper-protocol.js';
import { formatAudit, sectionDiff } from './audit.js';
import { parseSsUnix, parseStatusUids, peerAllowed } from './peer.js';
import { ownerFromArgv } from './serve-main-args.js';

describe('helper request validation', () => {
  it('accepts DNS names and nothing that could break a hosts line', () => {
    for (const ok of [
      'a',
      'app.local',
      'my-app.dusty',
      'x1.y2.z3',
      `${'a'.repeat(63)}.com`,
      'example.com.',
    ]) {
      expect([ok, isHostname(ok)]).toEqual([ok, true]);
    }
    const long = Array.from({ length: 64 }, () => 'abc').join('.');
    for (const bad of [
      '',
      '-a.com',
      'a-.com',
      'a..b',
      'a b',
      'a\nb',
      'a.com\n1.2.3.4 evil',
      '; rm -rf /',
      `${'a'.repeat(64)}.com`,
      long,
      'a_b.com',
      '#x',
      'é.com',
      '.',
    ]) {
      expect([bad, isHostname(bad)]).toEqual([bad, false]);
    }
  });

  it('accepts IPv4 and IPv6 literals only', () => {
    for (const ok of ['0.0.0.0', '127.0.0.1', '255.255.255.255']) expect(isIPv4(ok)).toBe(true);
    for (const bad of ['256.0.0.1', '1.2.3', '01.2.3.4', '1.2.3.4 ', '1.2.3.4\n', 'a.b.c.d'])
      expect(isIPv4(bad)).toBe(false);
    for (const ok of [
      '::',
      '::1',
      'fe80::1',
      '2001:db8::8a2e:370:7334',
      '1:2:3:4:5:6:7:8',
      '::ffff:1.2.3.4',
    ]) {
      expect([ok, isIPv6(ok)]).toEqual([ok, true]);
    }
    for (const bad of [
      '1::2::3',
      '1:2:3:4:5:6:7:8:9',
      ':::',
      '12345::',
      'fe80::1%eth0',
      '::1 x',
      'g::1',
      '1:2:3:4:5:6:7::8:9',
    ]) {
      expect([bad, isIPv6(bad)]).toEqual([bad, false]);
    }
  });

  it('accepts NFS clients as an address or a CIDR of the right size', () => {
    for (const ok of ['10.0.0.1', '10.0.0.0/8', '0.0.0.0/0', 'fd00::/64', '::1/128'])
      expect(isNfsClient(ok)).toBe(true);
    for (const bad of [
      '*',
      '10.0.0.0/33',
      '::/129',
      '10.0.0.1(rw)',
      'host.local',
      '10.0.0.0/08',
      '10.0.0.0/',
      '/8',
    ]) {
      expect([bad, isNfsClient(bad)]).toEqual([bad, false]);
    }
  });

  it('says what is wrong with an export path', () => {
    expect(exportPathProblem('/Users/me/code')).toBeNull();
    expect(exportPathProblem('rel/x')).toMatch(/absolute/);
    expect(exportPathProblem('/a b')).toMatch(/whitespace/);
    expect(exportPathProblem('/a\u0000b')).toMatch(/control/);
    expect(exportPathProblem('/a(rw)')).toMatch(/\(/);
    expect(exportPathProblem('/a/../b')).toMatch(/normalised/);
    expect(exportPathProblem('/a//b')).toMatch(/normalised/);
    expect(exportPathProblem('/a/')).toMatch(/slash/);
    expect(exportPathProblem('/')).toMatch(/root/);
  });

  it('accepts only the known operations, with only their parameters', () => {
    expect(HelperRequestEnvelopeSchema.safeParse({ id: 1, op: 'version' }).success).toBe(true);
    expect(HelperRequestEnvelopeSchema.safeParse({ id: 1, op: 'exec' }).success).toBe(false);
    expect(HelperRequestEnvelopeSchema.safeParse({ id: 1, op: 'version', x: 1 }).success).toBe(
      false,
    );
    expect(
      HelperParamsSchemas['hosts.apply'].safeParse({ entries: [], file: '/etc/passwd' }).success,
    ).toBe(false);
    expect(HelperParamsSchemas['hosts.clear'].safeParse({ entries: [] }).success).toBe(false);
    expect(HelperParamsSchemas['hosts.clear'].safeParse(undefined).success).toBe(true);
  });
});

describe('audit diff', () => {
  it('marks kept, removed and added lines in order', () => {
    expect(sectionDiff(['a', 'b', 'c'], ['a', 'c', 'd'])).toEqual([' a', '-b', ' c', '+d']);
    expect(sectionDiff([], ['x'])).toEqual(['+x']);
    expect(sectionDiff(['x'], [])).toEqual(['-x']);
  });

  it('records who, what and the change', () => {
    const text = formatAudit({
      uid: 1000,
      op: 'hosts.apply',
      file: '/etc/hosts',
      before: ['1.1.1.1 a'],
      after: ['2.2.2.2 a'],
      outcome: 'changed /etc/hosts',
      at: new Date('2024-01-02T03:04:05Z'),
    });
    expect(text).toBe(
      '2024-01-02T03:04:05.000Z uid=1000 op=hosts.apply changed /etc/hosts\n' +
        '--- /etc/hosts (Dusty section, before)\n+++ /etc/hosts (Dusty section, after)\n' +
        '@@ -1,1 +1,1 @@\n-1.1.1.1 a\n+2.2.2.2 a\n',
    );
  });
});

describe('peer lookup parsing', () => {
  const ss = [
    'Netid State Recv-Q Send-Q Local Address:Port  Peer Address:Port Process',
    'u_str ESTAB 0      0      /run/dusty/dusty.sock 5001            * 5002 users:(("node",pid=10,fd=21))',
    'u_str ESTAB 0      0      * 5002            * 5001 users:(("node",pid=20,fd=7),("node",pid=21,fd=7))',
    'u_str ESTAB 0      0      /tmp/with space/s.sock 6001 * 6002',
    'garbage line',
  ].join('\n');

  it('reads inodes, peers and holders from ss -xpn', () => {
    expect(parseSsUnix(ss)).toEqual([
      { localInode: 5001, peerInode: 5002, holders: [{ pid: 10, fd: 21 }] },
      {
        localInode: 5002,
        peerInode: 5001,
        holders: [
          { pid: 20, fd: 7 },
          { pid: 21, fd: 7 },
        ],
      },
      { localInode: 6001, peerInode: 6002, holders: [] },
    ]);
  });

  it('reads real and effective uid from /proc status', () => {
    expect(parseStatusUids('Name:\tnode\nUid:\t1000\t0\t0\t0\nGid:\t1000\n')).toEqual({
      realUid: 1000,
      effectiveUid: 0,
    });
    expect(parseStatusUids('Name: x\n')).toBeNull();
  });

  it('allows only the owner and root, all holders, really and effectively', () => {
    const p = (realUid: number, effectiveUid: number) => ({ pid: 1, realUid, effectiveUid });
    expect(peerAllowed({ processes: [p(1000, 1000)] }, 1000)).toBe(true);
    expect(peerAllowed({ processes: [p(0, 0)] }, 1000)).toBe(true);
    expect(peerAllowed({ processes: [p(1000, 1000), p(65534, 65534)] }, 1000)).toBe(false);
    expect(peerAllowed({ processes: [p(65534, 1000)] }, 1000)).toBe(false);
    expect(peerAllowed({ processes: [] }, 1000)).toBe(false);
    expect(peerAllowed(null, 1000)).toBe(false);
  });
});

describe('serve-main arguments', () => {
  it('reads --owner UID and refuses anything else', () => {
    expect(ownerFromArgv(['--owner', '1000'])).toBe(1000);
    expect(ownerFromArgv(['--owner=501'])).toBe(501);
    expect(ownerFromArgv(['--owner', 'root'])).toBeNull();
    expect(ownerFromArgv([])).toBeNull();
  });
});
