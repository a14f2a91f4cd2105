import { ALLOWED_METHODS } from '../../dialog/leg-request';
import { createResponse, type SipRequest, type SipResponse } from '../../sip/message';
import { newTag } from '../../sip/ids';

/**
 * The SBC's own answer to an out-of-dialog OPTIONS (GEN-04): 200 with what it accepts. It is
 * never relayed, so a keep-alive or probe from the Internet never reaches the core.
 */
export function answerOptions(request: SipRequest): SipResponse {
  const res = createResponse(request, 200, undefined, newTag());
  res.headers.append('Allow', ALLOWED_METHODS.join(', '));
  res.headers.append('Accept', 'application/sdp');
  res.headers.append('Accept-Encoding', 'identity');
  res.headers.append('Accept-Language', 'en');
  return res;
}
