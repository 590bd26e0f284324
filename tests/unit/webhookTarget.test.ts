// Where a webhook may point: addresses classified (loopback, private, link-local, metadata, unspecified,
// multicast, IPv4 inside IPv6), odd numeric hosts refused as written, every resolved address checked, the
// allow list honoured; and a delivery connects to the checked address, not to whatever DNS says later.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { checkAllowHostEntry, checkWebhookTarget, classifyAddress, type HostLookup } from '../../src/engine/webhookTarget.js';
import { errorClass, postPinned } from '../../src/scheduler/deliveryWorker.js';

const dns = (map: Record<string, string[]>): HostLookup => async (host) => {
  const found = map[host];
  if (!found) throw Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' });
  return found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

describe('classifyAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'], ['127.255.1.2', 'loopback'], ['::1', 'loopback'],
    ['10.1.2.3', 'private'], ['172.16.0.1', 'private'], ['172.31.255.255', 'private'], ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'], ['100.127.255.254', 'private'], ['fc00::1', 'private'], ['fd12:3456::1', 'private'],
    ['169.254.1.1', 'link_local'], ['fe80::1', 'link_local'],
    ['169.254.169.254', 'metadata'], ['100.100.100.200', 'metadata'], ['fd00:ec2::254', 'metadata'],
    ['0.0.0.0', 'unspecified'], ['0.1.2.3', 'unspecified'], ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'], ['239.255.255.250', 'multicast'], ['ff02::1', 'multicast'],
    ['255.255.255.255', 'broadcast'], ['240.0.0.1', 'reserved'], ['192.0.2.1', 'reserved'], ['2001:db8::1', 'reserved'],
    // IPv4 inside IPv6: judged as the IPv4 address it reaches.
    ['::ffff:127.0.0.1', 'loopback'], ['::ffff:7f00:1', 'loopback'], ['::ffff:169.254.169.254', 'metadata'], ['::ffff:10.0.0.1', 'private'],
    ['::127.0.0.1', 'loopback'], ['64:ff9b::a00:1', 'private'], ['2002:7f00:1::', 'loopback'],
  ])('%s is %s', (address, reason) => {
    expect(classifyAddress(address)).toBe(reason);
  });

  it.each(['8.8.8.8', '101.6.6.6', '100.63.255.255', '100.128.0.0', '172.32.0.1', '2400:3200::1', '::ffff:8.8.8.8', '2606:4700::1111'])('%s is public', (address) => {
    expect(classifyAddress(address)).toBeNull();
  });
});

describe('checkWebhookTarget', () => {
  const policy = { allowHosts: [] as string[], lookup: dns({ 'sms.example.cn': ['101.6.6.6'], 'mixed.example.cn': ['101.6.6.6', '10.0.0.5'], 'v6.example.cn': ['::1'] }) };
  const refused = async (url: string) => {
    const r = await checkWebhookTarget(url, policy);
    return r.ok ? null : r.refusal;
  };

  it('refuses the addresses of the report, however written', async () => {
    expect(await refused('http://127.0.0.1/x')).toEqual({ host: '127.0.0.1', address: '127.0.0.1', reason: 'loopback' });
    expect(await refused('http://169.254.169.254/latest/meta-data/')).toMatchObject({ reason: 'metadata' });
    expect(await refused('http://[::1]:8080/')).toMatchObject({ reason: 'loopback' });
    expect(await refused('http://[::ffff:127.0.0.1]/')).toMatchObject({ reason: 'loopback' });
    expect(await refused('http://localhost:5432/')).toEqual({ host: 'localhost', reason: 'loopback' });
    expect(await refused('http://db.localhost/')).toMatchObject({ reason: 'loopback' });
    expect(await refused('http://0.0.0.0:3000/')).toMatchObject({ reason: 'unspecified' });
    for (const url of ['http://0x7f000001/', 'http://2130706433/', 'http://0177.0.0.1/', 'http://127.1/', 'http://0x7f.0.0.1/', 'http://%31%32%37.0.0.1/', 'http://127.0.0.1./', 'http://017700000001/']) {
      expect(await refused(url), url).toMatchObject({ reason: 'numeric_host' });
    }
    // Odd forms of a public address too: the host must be written as it is meant.
    expect(await refused('http://0x08080808/')).toMatchObject({ reason: 'numeric_host' });
  });

  it('checks every address a name resolves to; an unknown name is refused', async () => {
    expect(await refused('https://mixed.example.cn/hook')).toEqual({ host: 'mixed.example.cn', address: '10.0.0.5', reason: 'private' });
    expect(await refused('https://v6.example.cn/hook')).toMatchObject({ reason: 'loopback', address: '::1' });
    expect(await refused('https://nowhere.example.cn/hook')).toEqual({ host: 'nowhere.example.cn', reason: 'unresolvable' });
    const ok = await checkWebhookTarget('https://sms.example.cn/hook', policy);
    expect(ok).toMatchObject({ ok: true, host: 'sms.example.cn', allowListed: false, addresses: [{ address: '101.6.6.6', family: 4 }] });
    expect(await refused('http://8.8.8.8:8080/hook')).toBeNull();
  });

  it('lets an allow-listed host through unchecked', async () => {
    const allowed = { ...policy, allowHosts: ['127.0.0.1', 'gw.internal', '::1'] };
    expect(await checkWebhookTarget('http://127.0.0.1:9/x', allowed)).toMatchObject({ ok: true, allowListed: true, addresses: null });
    expect(await checkWebhookTarget('http://GW.internal./x', allowed)).toMatchObject({ ok: true, allowListed: true });
    expect(await checkWebhookTarget('http://[::1]/x', allowed)).toMatchObject({ ok: true, allowListed: true });
    // Only the host written: another spelling of the same address is not on the list.
    expect(await checkWebhookTarget('http://127.1/x', allowed)).toMatchObject({ ok: false });
  });

  it('validates allow-list entries', () => {
    for (const ok of ['127.0.0.1', 'sms-gw.internal', '[::1]', '::1', 'LOCALHOST']) expect(checkAllowHostEntry(ok), ok).toBeNull();
    for (const bad of ['http://x', 'x:80', '2130706433', '0x7f000001', 'a/b', 'x@y', '']) expect(checkAllowHostEntry(bad), bad).not.toBeNull();
  });
});

describe('delivery', () => {
  it('connects to the checked address, whatever the name resolves to by then (no DNS rebinding)', async () => {
    let host = '';
    const server = createServer((req, res) => {
      host = String(req.headers.host);
      req.resume();
      res.writeHead(204).end('never read');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    try {
      // 'pinned.invalid' resolves nowhere; the connection still reaches the address it was checked at.
      const status = await postPinned(new URL(`http://pinned.invalid:${port}/x`), [{ address: '127.0.0.1', family: 4 }], { headers: {}, body: '{}', timeoutMs: 5000 });
      expect(status).toBe(204);
      expect(host).toBe(`pinned.invalid:${port}`);
      // Without the pin the name would have to resolve, and does not.
      const err = await postPinned(new URL(`http://pinned.invalid:${port}/x`), null, { headers: {}, body: '{}', timeoutMs: 5000 }).catch((e) => e);
      expect(errorClass(err)).toMatch(/ENOTFOUND|EAI_AGAIN/);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('keeps an error class, never free text', () => {
    expect(errorClass(Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toBe('ECONNREFUSED');
    expect(errorClass(Object.assign(new Error('x'), { name: 'TimeoutError' }))).toBe('timeout');
    expect(errorClass(new Error('some body text the server sent'))).toBe('network error');
  });
});
