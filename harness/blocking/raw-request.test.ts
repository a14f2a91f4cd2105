import { describe, expect, it } from 'vitest';
import { splitSip } from '../capture/sip-text';
import { rawRequest } from './raw-request';

const local = { ip: '203.0.113.66', port: 5070 };

describe('the attacker\'s raw requests', () => {
  it('builds an INVITE with its own Call-ID, a branch from it and a G.711 offer of the right length', () => {
    const text = rawRequest({ method: 'INVITE', user: '+31205001', callId: 'flood-1@203.0.113.66', local, sbc: '203.0.113.10' }).toString();
    const [head, body] = text.split('\r\n\r\n');
    expect(head!.split('\r\n')[0]).toBe('INVITE sip:+31205001@203.0.113.10 SIP/2.0');
    const headers = splitSip(text).headers;
    const value = (name: string) => headers.find((h) => h.canonical === name)?.value;
    expect(value('call-id')).toBe('flood-1@203.0.113.66');
    expect(value('via')).toBe('SIP/2.0/UDP 203.0.113.66:5070;branch=z9hG4bK-flood1203011366;rport');
    expect(value('content-type')).toBe('application/sdp');
    expect(Number(value('content-length'))).toBe(Buffer.byteLength(body!));
    expect(body).toContain('m=audio 20140 RTP/AVP 0 8');
  });

  it('builds a bodiless OPTIONS with the extra headers, From an extension for an extension', () => {
    const text = rawRequest({ method: 'OPTIONS', user: '101', callId: 'scan-1@x', local, sbc: '203.0.113.10', extra: ['User-Agent: friendly-scanner'] }).toString();
    expect(text).toContain('\r\nUser-Agent: friendly-scanner\r\n');
    expect(text).toContain('From: <sip:100@203.0.113.66>;tag=');
    expect(text).not.toContain('Content-Type');
    expect(text.endsWith('Content-Length: 0\r\n\r\n')).toBe(true);
  });
});
