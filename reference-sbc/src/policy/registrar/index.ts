/**
 * Registrar room: REGISTER with digest authentication and the bindings kept in PostgreSQL (IN-02).
 * Other rooms and the composition root import this index, never a file inside the room.
 */
export { Registrar } from './registrar';
export { RegistrationStore } from './registration-store';
