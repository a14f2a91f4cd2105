import type { SipMessage } from './message';

/**
 * Serializes a message. Fields still holding their received `raw` text are written byte for byte;
 * changed or new fields are written as `Name: value`. Content-Length always states the real body
 * length (added when missing) so a rewritten body can never desynchronise the framing.
 */
export function serializeMessage(message: SipMessage): Buffer {
  const lines: string[] = [
    message.kind === 'request'
      ? `${message.method} ${message.uri} ${message.version}`
      : `${message.version} ${message.status} ${message.reason}`,
  ];
  const length = String(message.body.length);
  let sawLength = false;
  for (const field of message.headers.fields) {
    const isLength = field.name.toLowerCase() === 'content-length' || field.name.toLowerCase() === 'l';
    if (isLength) {
      if (sawLength) continue;
      sawLength = true;
      if (field.value !== length) {
        lines.push(`${field.name}: ${length}`);
        continue;
      }
    }
    lines.push(field.raw ?? `${field.name}: ${field.value}`);
  }
  if (!sawLength) lines.push(`Content-Length: ${length}`);
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  return message.body.length === 0 ? head : Buffer.concat([head, message.body]);
}
