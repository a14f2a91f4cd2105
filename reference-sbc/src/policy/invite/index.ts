/**
 * INVITE chain room: an INVITE is a chain of named steps (access control → announce → route →
 * media offer → forward), each unit-testable on its own (STYLE.md 8).
 * Other rooms and the composition root import this index, never a file inside the room.
 */
export { forwardStep } from './call-forwarder';
export { CONTINUE, reject, runSteps, type InviteContext, type InviteStep, type RouteDecision } from './invite-pipeline';
export { accessControlStep, announceStep, numberOf, roundRobinRouteStep, type CoreServer } from './invite-steps';
export { codecCheckStep, mediaOfferStep, sdpValidationStep, type MediaPort, type OfferCheck } from './media-steps';
