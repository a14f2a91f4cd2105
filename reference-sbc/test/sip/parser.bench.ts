import { bench, describe } from 'vitest';
import { parseMessage } from '../../src/sip/parser';
import { serializeMessage } from '../../src/sip/serializer';
import { invite } from '../helpers/messages';
import { loadTorture } from './torture-corpus';

/** Parser throughput (STYLE.md 9): `npx vitest bench --run reference-sbc/test/sip/parser.bench.ts`. */
const typical = invite({ body: 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 8\r\n' });
const tortuous = loadTorture('wsinv');
const long = loadTorture('longreq');

describe('parse', () => {
  bench('typical INVITE', () => { parseMessage(typical); });
  bench('RFC 4475 wsinv', () => { parseMessage(tortuous); });
  bench('RFC 4475 longreq', () => { parseMessage(long); });
});

describe('parse + serialize', () => {
  bench('typical INVITE round trip', () => { serializeMessage(parseMessage(typical)); });
});
