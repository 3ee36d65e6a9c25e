import { describe, expect, it } from 'vitest';
import {
  HelperParamsSchemas,
  hostsAddressProblem,
  localAddressKind,
  nfsClientProblem,
} from '../../src-shared/helper-protocol.js';

describe('what a request may carry: addresses', () => {
  it('classifies loopback, private, link-local and unique-local addresses, and nothing else', () => {
    const kinds: [string, string | null][] = [
      ['127.0.0.1', 'loopback'],
      ['127.255.0.9', 'loopback'],
      ['::1', 'loopback'],
      ['10.1.2.3', 'private'],
      ['172.16.0.1', 'private'],
      ['172.31.255.255', 'private'],
      ['192.168.64.2', 'private'],
      ['::ffff:10.0.0.1', 'private'],
      ['169.254.1.1', 'link-local'],
      ['fe80::1', 'link-local'],
      ['febf::1', 'link-local'],
      ['fd00::1', 'unique-local'],
      ['fc00::1', 'unique-local'],
      ['172.32.0.1', null],
      ['172.15.0.1', null],
      ['8.8.8.8', null],
      ['1.2.3.4', null],
      ['0.0.0.0', null],
      ['255.255.255.255', null],
      ['224.0.0.1', null],
      ['::', null],
      ['::ffff:8.8.8.8', null],
      ['::1.2.3.4', null],
      ['fec0::1', null],
      ['2001:db8::1', null],
      ['1:2:3:4:5:6:7:8', null],
      ['ff02::1', null],
    ];
    for (const [address, kind] of kinds)
      expect([address, localAddressKind(address)]).toEqual([address, kind]);
  });

  it('refuses a public or reserved address in hosts.apply, saying which rule', () => {
    expect(hostsAddressProblem('10.0.0.1')).toBeNull();
    expect(hostsAddressProblem('8.8.8.8')).toMatch(
      /8\.8\.8\.8 is a public or reserved address: .*private \(10\/8/,
    );
    const parsed = HelperParamsSchemas['hosts.apply'].safeParse({
      entries: [{ ip: '93.184.216.34', hostname: 'bank.example' }],
    });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toMatch(/public or reserved/);
  });

  it('takes one local address or a private range no wider than /16 as an NFS client', () => {
    for (const ok of ['192.168.64.2', '192.168.64.0/24', '10.0.0.0/16', 'fd00::/64', 'fe80::1']) {
      expect([ok, nfsClientProblem(ok)]).toEqual([ok, null]);
    }
    const refused: [string, RegExp][] = [
      ['*', /not an IP address/],
      ['0.0.0.0/0', /public or reserved/],
      ['::/0', /public or reserved/],
      ['10.0.0.0/8', /wider than \/16/],
      ['fd00::/48', /wider than \/64/],
      ['8.8.8.8', /public or reserved/],
      ['192.168.1.0/33', /not an IP address/],
    ];
    for (const [client, why] of refused)
      expect([client, nfsClientProblem(client)]).toEqual([client, expect.stringMatching(why)]);
  });
});
