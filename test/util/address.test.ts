import { describe, expect, it } from 'vitest';
import { hostPort, unmapped } from '../../src/util/address.js';

describe('unmapped', () => {
  it('gives an IPv4-mapped IPv6 address as its IPv4 address, any other as it is', () => {
    expect(unmapped('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(unmapped('::FFFF:127.0.0.2')).toBe('127.0.0.2');
    expect(unmapped('127.0.0.1')).toBe('127.0.0.1');
    expect(unmapped('::1')).toBe('::1');
    // Not a mapped IPv4 address: an IPv6 address that merely starts the same way stays whole.
    expect(unmapped('::ffff:7f00:1')).toBe('::ffff:7f00:1');
    expect(unmapped(undefined)).toBeUndefined();
  });
});

describe('hostPort', () => {
  it('writes host:port as a URL authority: an IPv6 address in brackets, anything else as it is', () => {
    expect(hostPort('127.0.0.1', 25)).toBe('127.0.0.1:25');
    expect(hostPort('::1', 25)).toBe('[::1]:25');
    expect(hostPort('mail.example.test', 587)).toBe('mail.example.test:587');
  });
});
