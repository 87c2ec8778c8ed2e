import { classifyAddress, hostOf, refusalOf, urlRefusalOf } from './net-guard';

describe('classifyAddress', () => {
  it.each([
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['100.64.0.1', 'shared'],
    ['100.127.255.254', 'shared'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['192.0.2.10', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['FEBF::1', 'link-local'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456:789a::1', 'unique-local'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'reserved'],
    ['fec0::1', 'reserved'],
    ['64:ff9b:1::a00:1', 'private'],
  ])('%s is %s', (address, kind) => {
    expect(classifyAddress(address)).toBe(kind);
  });

  it.each([
    // IPv4-mapped, in both spellings (new URL() writes the hex one).
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['0:0:0:0:0:ffff:a9fe:a9fe', 'link-local'],
    ['::ffff:10.1.2.3', 'private'],
    ['::ffff:0.0.0.0', 'unspecified'],
    // IPv4-compatible (deprecated), NAT64 and 6to4.
    ['::127.0.0.1', 'loopback'],
    ['::a9fe:a9fe', 'link-local'],
    ['64:ff9b::127.0.0.1', 'loopback'],
    ['64:ff9b::c0a8:101', 'private'],
    ['2002:7f00:1::1', 'loopback'],
    ['2002:a9fe:a9fe::', 'link-local'],
  ])('%s embeds an IPv4 address and is %s', (address, kind) => {
    expect(classifyAddress(address)).toBe(kind);
  });

  it.each(['8.8.8.8', '1.1.1.1', '100.63.255.255', '100.128.0.0', '172.15.255.255', '172.32.0.0', '169.253.255.255', '11.0.0.1', '2606:4700::1111', '2001:4860:4860::8888', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1', 'fbff::1', 'fe7f::1'])(
    '%s is public',
    (address) => {
      expect(classifyAddress(address)).toBeNull();
    },
  );

  it('refuses what is not an IP address', () => {
    expect(() => classifyAddress('localhost')).toThrow(TypeError);
    expect(() => classifyAddress('[::1]')).toThrow(TypeError);
  });
});

describe('refusalOf', () => {
  it('allows only public addresses by default, pointing at the setting', () => {
    expect(refusalOf('8.8.8.8', { allowPrivateNetworks: false })).toBeNull();
    for (const address of ['127.0.0.1', '10.0.0.1', '::1', '::ffff:192.168.0.1', '100.64.0.1', 'fd00::1', '0.0.0.0', '224.0.0.1']) {
      expect(refusalOf(address, { allowPrivateNetworks: false })).toBe(
        'resolves to a private address; set OTA_FETCH_ALLOW_PRIVATE_NETWORKS=true to allow firmware from your own network',
      );
    }
  });

  it('allows private networks when asked, but never link-local addresses (cloud metadata)', () => {
    for (const address of ['127.0.0.1', '10.0.0.1', '::1', '::ffff:192.168.0.1', '100.64.0.1', 'fd00::1', '8.8.8.8']) {
      expect(refusalOf(address, { allowPrivateNetworks: true })).toBeNull();
    }
    for (const address of ['169.254.169.254', 'fe80::1', '::ffff:169.254.169.254']) {
      for (const allowPrivateNetworks of [false, true]) {
        expect(refusalOf(address, { allowPrivateNetworks })).toMatch(/link-local/);
      }
    }
  });

  it('does not name the address it refuses', () => {
    expect(refusalOf('10.20.30.40', { allowPrivateNetworks: false })).not.toContain('10.20.30.40');
  });
});

describe('urlRefusalOf and hostOf', () => {
  it('refuses schemes other than http(s) and credentials', () => {
    expect(urlRefusalOf(new URL('https://example.com/fw.bin'))).toBeNull();
    expect(urlRefusalOf(new URL('http://example.com:8080/fw.bin'))).toBeNull();
    expect(urlRefusalOf(new URL('ftp://example.com/fw.bin'))).toMatch(/http/);
    expect(urlRefusalOf(new URL('file:///etc/passwd'))).toMatch(/http/);
    expect(urlRefusalOf(new URL('http://user:secret@example.com/fw.bin'))).toMatch(/credentials/);
    expect(urlRefusalOf(new URL('http://user@example.com/fw.bin'))).toMatch(/credentials/);
  });

  it('gives the host as a name or a bare IP literal, as URL normalized it', () => {
    expect(hostOf(new URL('http://Example.COM./x'))).toBe('example.com.');
    expect(hostOf(new URL('http://[::1]:8080/x'))).toBe('::1');
    expect(hostOf(new URL('http://[::ffff:127.0.0.1]/x'))).toBe('::ffff:7f00:1');
    // Numeric spellings of 127.0.0.1 reach the guard as the dotted form.
    expect(hostOf(new URL('http://2130706433/x'))).toBe('127.0.0.1');
    expect(hostOf(new URL('http://0x7f.1/x'))).toBe('127.0.0.1');
  });
});
