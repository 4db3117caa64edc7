/**
 * A FreeIPA-compatible JSON-RPC server for `novajoin dev` (memory store, no
 * Kerberos) and for the tests (entries in a real 389 Directory Server, SPNEGO through a real
 * KDC). See server.ts for the object tests drive.
 */
export { startIpaEmulator, type IpaEmulator, type IpaEmulatorOptions, type EmulatorMode, type EmulatorCounters } from './server.js';
export { Engine, generatePassword, type RpcResponse, type CallerInfo, type EngineOptions } from './engine.js';
export { MemoryStore } from './memory-store.js';
export { f, cloneEntry, first, has, DN_ATTRIBUTES, storeErrors, NoSuchAttributeError, ValueExistsError, NotAllowedOnNonLeafError } from './store.js';
export type { IpaStore, IpaEntry, Attrs, Change, Filter, SearchOptions, SearchResult } from './store.js';
export { makeEnv, seedEntries, containers, dnOf, suffixFor, zoneEntry, absoluteZone, type IpaEnv, type EnvOptions, type SeedOptions } from './layout.js';
export { simulateEnrollment, EnrollmentError, generalizedTime, type EnrollmentResult } from './enrollment.js';
export { refererOk, type Authenticators, type NegotiateResult } from './http.js';
export { passwordTableAuthenticators } from './dev-auth.js';
export { COOKIE_NAME } from './sessions.js';
export { escapeDnValue, normalizeDn, parseDn, rdn, sameDn } from './dn.js';
export { DnsName, IpaDateTime, encodeOutput, hasCapability } from './wire.js';
