import { describe, expect, it } from 'vitest';
import { RTPENGINE_PLACEHOLDERS, TOPOLOGY_PLACEHOLDERS } from '../harness/sut/placeholders';
import { ADDRESSES } from './addresses';
import { sutVars, type TopologyFacts } from './sut-host';

const facts: TopologyFacts = {
  runDir: '/tmp/sbcx-abcd-x',
  repoRoot: '/repo',
  plan: ADDRESSES,
  interfaces: { sbcPublic: 'spabcd', sbcCore: 'scabcd' },
  corePort: 5060,
  enum: { address: ADDRESSES.enumDns, port: 53, suffix: 'e164.arpa' },
  db: { host: ADDRESSES.postgres, port: 5432, name: 'sbc', user: 'sbc', password: 'sbc', socketDir: '/tmp/s', url: 'postgres://sbc:sbc@10.20.0.54:5432/sbc', localUrl: 'postgresql://sbc@/sbc?host=%2Ftmp%2Fs' },
  tls: { cert: '/c', key: '/k', ca: '/ca' },
  rtpengine: { ngHost: '127.0.0.1', ngPort: 2223, publicIf: 'pub', coreIf: 'core' },
};

describe('the netns topology as SUT placeholders', () => {
  it('fills exactly the documented placeholders, rtpengine ones only with the topology\'s rtpengine', () => {
    const names = (docs: readonly { name: string }[]): string[] => docs.map((d) => d.name).sort();
    expect(Object.keys(sutVars(facts, { dir: '/p' })).sort()).toEqual(names([...TOPOLOGY_PLACEHOLDERS, ...RTPENGINE_PLACEHOLDERS]));
    expect(Object.keys(sutVars({ ...facts, rtpengine: undefined }, { dir: '/p' })).sort()).toEqual(names(TOPOLOGY_PLACEHOLDERS));
  });

  it('gives the topology facts a profile needs', () => {
    const v = sutVars(facts, { dir: '/repo/topology/suts/kamailio' });
    expect(v).toMatchObject({
      PROFILE_DIR: '/repo/topology/suts/kamailio',
      CORE_SERVERS: '10.20.0.21:5060 10.20.0.22:5060 10.20.0.23:5060',
      CORE_SERVER_2: '10.20.0.22',
      ENUM_DNS: '10.20.0.53',
      DB_HOST: '10.20.0.54',
      SBC_CORE_IF: 'scabcd',
      RTPENGINE_CORE_IF: 'core',
    });
  });
});
