/** HTML escaping for every page the report writes: text from the wire and from SUT profiles is untrusted. */
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** An href to a file of the report: relative, each segment URI-encoded, so a name with spaces or '#' still resolves. */
export function href(relativePath: string): string {
  return relativePath.split('/').map(encodeURIComponent).join('/');
}
