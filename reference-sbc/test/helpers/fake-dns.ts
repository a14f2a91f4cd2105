import { createSocket, type Socket } from 'node:dgram';

/** A NAPTR record as a fake zone holds it. */
export interface FakeNaptr {
  order: number;
  preference: number;
  flags?: string;
  service?: string;
  regexp: string;
  ttl?: number;
}

function name(n: string): Buffer {
  const parts = n.split('.').filter((l) => l.length > 0).map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'ascii')]));
  return Buffer.concat([...parts, Buffer.from([0])]);
}

function str(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  return Buffer.concat([Buffer.from([b.length]), b]);
}

/**
 * Builds the answer to a NAPTR query: the records (answer names compressed to the question), or
 * NXDOMAIN with an SOA in the authority section when there are none.
 */
export function answerFor(query: Buffer, records: FakeNaptr[] | undefined, o: { rcode?: number; negativeTtl?: number } = {}): Buffer {
  const qEnd = query.indexOf(0, 12) + 5;
  const question = query.subarray(12, qEnd);
  const header = Buffer.alloc(12);
  query.copy(header, 0, 0, 2);
  const rcode = o.rcode ?? (records && records.length > 0 ? 0 : 3);
  header.writeUInt16BE(0x8180 | rcode, 2);
  header.writeUInt16BE(1, 4);
  const answers = (records ?? []).map((r) => {
    const rdata = Buffer.concat([
      Buffer.from([r.order >> 8, r.order & 0xff, r.preference >> 8, r.preference & 0xff]),
      str(r.flags ?? 'u'), str(r.service ?? 'E2U+sip'), str(r.regexp), Buffer.from([0]),
    ]);
    const fixed = Buffer.alloc(10);
    fixed.writeUInt16BE(35, 0);
    fixed.writeUInt16BE(1, 2);
    fixed.writeUInt32BE(r.ttl ?? 60, 4);
    fixed.writeUInt16BE(rdata.length, 8);
    return Buffer.concat([Buffer.from([0xc0, 12]), fixed, rdata]);
  });
  header.writeUInt16BE(answers.length, 6);
  let authority: Buffer[] = [];
  if (answers.length === 0 && rcode === 3) {
    const ttl = o.negativeTtl ?? 30;
    const soa = Buffer.concat([name('ns1.e164.arpa'), name('hostmaster.e164.arpa'), Buffer.from([0, 0, 0, 1, 0, 0, 14, 16, 0, 0, 2, 88, 0, 1, 81, 128, 0, 0, 0, ttl])]);
    const fixed = Buffer.alloc(10);
    fixed.writeUInt16BE(6, 0);
    fixed.writeUInt16BE(1, 2);
    fixed.writeUInt32BE(3600, 4);
    fixed.writeUInt16BE(soa.length, 8);
    authority = [Buffer.concat([name('e164.arpa'), fixed, soa])];
    header.writeUInt16BE(1, 8);
  }
  return Buffer.concat([header, question, ...answers, ...authority]);
}

/** Reads the question name of a query. */
export function questionName(query: Buffer): string {
  const labels: string[] = [];
  let i = 12;
  while (query[i]) {
    const len = query[i]!;
    labels.push(query.toString('ascii', i + 1, i + 1 + len));
    i += len + 1;
  }
  return labels.join('.');
}

/** A UDP DNS server on 127.0.0.1 answering NAPTR queries from a map of names (silent when `silent`). */
export class FakeDnsServer {
  readonly zone = new Map<string, FakeNaptr[]>();
  readonly queries: string[] = [];
  silent = false;
  rcode: number | undefined;
  private socket: Socket | undefined;

  async start(): Promise<number> {
    const socket = createSocket('udp4');
    this.socket = socket;
    socket.on('message', (msg, rinfo) => {
      const q = questionName(msg);
      this.queries.push(q);
      if (this.silent) return;
      socket.send(answerFor(msg, this.zone.get(q), this.rcode === undefined ? {} : { rcode: this.rcode }), rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return socket.address().port;
  }

  close(): void {
    this.socket?.close();
  }
}
