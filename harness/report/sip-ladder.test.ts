import { describe, expect, it } from 'vitest';
import { describeMessage, ladderArrows, MAX_LADDER_MESSAGES, ladderColumns, renderLadderHtml, topologyHosts, type LadderMessage } from './sip-ladder';
import { FIXTURE_HOSTS } from './test-report';

const msg = (time: number, src: string, dst: string, text: string, transport: LadderMessage['transport'] = 'udp'): LadderMessage => ({ time, src, srcPort: 5060, dst, dstPort: 5060, transport, text });
const invite = 'INVITE sip:+3120@203.0.113.10 SIP/2.0\r\nCSeq: 1 INVITE\r\nc: application/sdp\r\n\r\nv=0\r\nc=IN IP4 203.0.113.20\r\nm=audio 30000 RTP/SAVP 0 8\r\n';

describe('SIP ladder', () => {
  it('labels requests by method and responses by status and the CSeq method; SDP is found with the compact Content-Type too', () => {
    expect(describeMessage(invite)).toEqual({ label: 'INVITE', sdp: 'audio 30000 RTP/SAVP 0 8' });
    expect(describeMessage('SIP/2.0 486 Busy Here\r\nCSeq: 1 INVITE\r\n\r\n')).toEqual({ label: '486 Busy Here (INVITE)' });
    expect(describeMessage('OPTIONS sip:203.0.113.10 SIP/2.0\r\nCSeq: 7 OPTIONS\r\nContent-Length: 0\r\n\r\n')).toEqual({ label: 'OPTIONS' });
  });

  it('puts columns in the topology\'s order (public, SBC, core), then unknown hosts as they appear', () => {
    const messages = [msg(1, '10.20.0.10', '10.20.0.21', invite), msg(0, '203.0.113.20', '203.0.113.10', invite), msg(2, '198.51.100.7', '203.0.113.10', invite)];
    const cols = ladderColumns(messages, topologyHosts(FIXTURE_HOSTS));
    expect(cols.map((c) => `${c.label}|${c.address}`)).toEqual(['public host|203.0.113.20', 'SBC public|203.0.113.10', 'SBC core|10.20.0.10', 'core server|10.20.0.21', '|198.51.100.7']);
  });

  it('orders arrows by capture time with the time since the first message and since the previous one', () => {
    const messages = [msg(10.25, '203.0.113.10', '203.0.113.20', 'SIP/2.0 200 OK\r\nCSeq: 1 INVITE\r\n\r\n'), msg(10, '203.0.113.20', '203.0.113.10', invite)];
    const cols = ladderColumns(messages);
    const arrows = ladderArrows(messages, cols);
    expect(arrows.map((a) => [a.index, a.label, a.from, a.to, a.sinceStartMs, a.deltaMs])).toEqual([
      [1, 'INVITE', 0, 1, 0, 0],
      [2, '200 OK (INVITE)', 1, 0, 250, 250],
    ]);
  });

  it('renders an escaped page with the picture, SDP marked, TLS dashed and every message\'s text', () => {
    const html = renderLadderHtml({ title: 'a <call>', messages: [msg(0, '203.0.113.20', '203.0.113.10', invite, 'tls')], hosts: topologyHosts(FIXTURE_HOSTS) });
    expect(html).toContain('SIP ladder: a &lt;call&gt;');
    expect(html).toContain('stroke-dasharray="6 3"');
    expect(html).toContain('SDP audio 30000 RTP/SAVP 0 8');
    expect(html).toContain('<details id="msg-1">');
    expect(html).toContain('href="#msg-1"');
    expect(html).toContain('m=audio 30000 RTP/SAVP 0 8');
  });

  it('draws at most MAX_LADDER_MESSAGES arrows and says how many more the capture holds', () => {
    const many = Array.from({ length: MAX_LADDER_MESSAGES + 5 }, (_, i) => msg(i / 1000, '203.0.113.66', '203.0.113.10', invite));
    const html = renderLadderHtml({ title: 'flood', messages: many });
    expect((html.match(/<g class="msg">/g) ?? []).length).toBe(MAX_LADDER_MESSAGES);
    expect(html).toContain(`The first ${MAX_LADDER_MESSAGES} of ${MAX_LADDER_MESSAGES + 5} SIP messages are drawn`);
  });

  it('says so when the captures saw nothing in the window, instead of drawing an empty picture', () => {
    const html = renderLadderHtml({ title: 'x', messages: [] });
    expect(html).toContain('The captures saw no SIP message');
    expect(html).not.toContain('<svg');
  });
});
