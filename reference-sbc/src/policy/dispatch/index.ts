/**
 * Request dispatch room: the transaction user — request checks (505/416/420/483), OPTIONS, and the
 * hand-off of each request to the registrar, the INVITE chain or the call it belongs to.
 * Other rooms and the composition root import this index, never a file inside the room.
 */
export { SipRouter } from './sip-router';
