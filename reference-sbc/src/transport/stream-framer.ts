/**
 * Cuts a byte stream (TLS) into SIP messages (RFC 3261 18.3): the header section ends at the first
 * empty line, Content-Length (mandatory on streams; absent counts as 0) gives the body. CRLF
 * keep-alives between messages are skipped (RFC 5626 3.5.1).
 */
export type FrameResult =
  | { kind: 'message'; data: Buffer }
  | { kind: 'ping' }
  | { kind: 'error'; reason: string; data: Buffer };

const LENGTH = /^(?:content-length|l)[ \t]*:[ \t]*(\S*)[ \t]*$/im;

export class StreamFramer {
  private buffer: Buffer = Buffer.alloc(0);
  private readonly maxMessageBytes: number;

  constructor(maxMessageBytes: number) {
    this.maxMessageBytes = maxMessageBytes;
  }

  /** Adds received bytes and returns every complete frame now available, in order. */
  push(chunk: Buffer): FrameResult[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const out: FrameResult[] = [];
    for (;;) {
      const frame = this.next();
      if (!frame) break;
      out.push(frame);
      if (frame.kind === 'error') break;
    }
    return out;
  }

  private next(): FrameResult | undefined {
    let start = 0;
    while (start < this.buffer.length && (this.buffer[start] === 0x0d || this.buffer[start] === 0x0a)) start++;
    if (start > 0) {
      const ping = this.buffer.subarray(0, start).toString('latin1').includes('\r\n\r\n');
      this.buffer = this.buffer.subarray(start);
      if (ping) return { kind: 'ping' };
    }
    if (this.buffer.length === 0) return undefined;
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end < 0) {
      if (this.buffer.length > this.maxMessageBytes) return this.fail('header section larger than the message size limit');
      return undefined;
    }
    const head = this.buffer.subarray(0, end).toString('latin1').replace(/\r\n[ \t]+/g, ' ');
    const m = LENGTH.exec(head);
    const lengthText = m?.[1] ?? '0';
    if (!/^\d{1,10}$/.test(lengthText)) return this.fail(`invalid Content-Length "${lengthText}" on a stream`);
    const total = end + 4 + Number(lengthText);
    if (total > this.maxMessageBytes) return this.fail('message larger than the size limit');
    if (this.buffer.length < total) return undefined;
    const data = Buffer.from(this.buffer.subarray(0, total));
    this.buffer = this.buffer.subarray(total);
    return { kind: 'message', data };
  }

  /** After a framing error the stream cannot be resynchronised: the connection must close. */
  private fail(reason: string): FrameResult {
    const data = this.buffer;
    this.buffer = Buffer.alloc(0);
    return { kind: 'error', reason, data };
  }
}
