/**
 * Certificate virtual operations (delegation.ldif, 40-delegation.update;
 * freeipa-access.md 1.5): legacy permissions, no `System:` prefix, each
 * granting write on `objectclass` of its entry under cn=virtual operations.
 * FreeIPA asks 389-ds for that effective right before the operation.
 */
const CA = 'Certificate Administrators';
const HA = 'Host Administrators';

export const VIRTUAL_OPERATIONS_CONTAINER = 'cn=virtual operations,cn=etc';

export const virtualOperations: ReadonlyArray<{ readonly permission: string; readonly operation: string; readonly privileges: readonly string[] }> = [
  { permission: 'Retrieve Certificates from the CA', operation: 'retrieve certificate', privileges: [CA, HA] },
  { permission: 'Request Certificate', operation: 'request certificate', privileges: [CA] },
  { permission: 'Request Certificates from a different host', operation: 'request certificate different host', privileges: [CA] },
  { permission: 'Get Certificates status from the CA', operation: 'certificate status', privileges: [CA] },
  { permission: 'Revoke Certificate', operation: 'revoke certificate', privileges: [CA, HA] },
  { permission: 'Certificate Remove Hold', operation: 'certificate remove hold', privileges: [CA] },
  { permission: 'Request Certificate ignoring CA ACLs', operation: 'request certificate ignore caacl', privileges: [CA] },
];
