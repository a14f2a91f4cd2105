import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config';
import { ConfigError } from '../src/errors';

const GOOD = `
zones:
  public: { address: 203.0.113.10, udp: 5060, tls: 5061 }
  core:   { address: 10.20.0.10,  udp: 5060, tls: 5061 }
tls: { cert: /path/cert.pem, key: /path/key.pem }
coreServers:
  - { host: 10.20.0.21, port: 5060 }
  - { host: 10.20.0.22, port: 5060 }
media: { rtpengine: { host: 127.0.0.1, port: 2223 } }
cdr: { database: "postgres://sbc:sbc@10.20.0.54:5432/sbc", spoolDir: /tmp/x/spool }
enum: { server: "10.20.0.53:53", suffix: e164.arpa }
admin: { socket: /tmp/x/admin.sock, host: 127.0.0.1, port: 8080 }
timers: { t1Ms: 500, t2Ms: 4000, t4Ms: 5000 }
log: { level: info }
`;

function errorOf(text: string): string {
  try {
    parseConfig(text, 'test.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('accepts the full shape and freezes it', () => {
    const config = parseConfig(GOOD, 'test.yaml');
    expect(config.zones.public.tls).toBe(5061);
    expect(config.coreServers).toHaveLength(2);
    expect(Object.isFrozen(config.zones.public)).toBe(true);
    expect(config.limits.maxMessageBytes).toBe(65535);
  });

  it('fills defaults for the optional sections', () => {
    const config = parseConfig(`
zones:
  public: { address: 127.0.0.10, udp: 5060 }
  core: { address: 127.0.0.11, udp: 5060 }
coreServers: [{ host: 127.0.0.21 }]
admin: { socket: /tmp/a.sock }
`, 'min.yaml');
    expect(config.timers).toEqual({ t1Ms: 500, t2Ms: 4000, t4Ms: 5000 });
    expect(config.coreServers[0]?.port).toBe(5060);
    expect(config.log.level).toBe('info');
  });

  it('names the field of a bad value', () => {
    expect(errorOf(GOOD.replace('203.0.113.10', 'not-an-ip'))).toContain('config: zones.public.address: expected IPv4 address');
  });

  it('names an unknown (misspelt) option', () => {
    expect(errorOf(GOOD.replace('spoolDir', 'spooldir'))).toContain('config: cdr: unknown option "spooldir"');
  });

  it('requires tls settings when a zone has a tls port', () => {
    expect(errorOf(GOOD.replace('tls: { cert: /path/cert.pem, key: /path/key.pem }', ''))).toContain('config: tls:');
  });

  it('reports YAML syntax errors with the file name', () => {
    expect(errorOf('zones: [')).toContain('test.yaml');
  });
});
