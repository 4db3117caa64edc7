/** service.py managed_permissions (FreeIPA 4.12; freeipa-access.md 1.2). */
import type { PermissionTable } from './types.js';

const SA = 'Service Administrators';
const HA = 'Host Administrators';

export const servicePermissions: PermissionTable = {
  location: 'cn=services,cn=accounts',
  objectFilter: '(objectclass=ipaservice)',
  permissions: [
    {
      name: 'System: Read Services',
      rights: ['read', 'search', 'compare'],
      bind: 'all',
      attrs: [
        'objectclass', 'ipauniqueid', 'managedby', 'memberof', 'usercertificate', 'krbprincipalname', 'krbcanonicalname', 'krbprincipalaliases',
        'krbprincipalexpiration', 'krbpasswordexpiration', 'krblastpwdchange', 'ipakrbauthzdata', 'ipakrbprincipalalias', 'krbobjectreferences',
        'krbprincipalauthind', 'memberprincipal',
      ],
    },
    { name: 'System: Add Services', rights: ['add'], privileges: [SA] },
    { name: 'System: Manage Service Keytab', rights: ['write'], attrs: ['krblastpwdchange', 'krbprincipalkey'], privileges: [SA, HA] },
    { name: 'System: Modify Services', rights: ['write'], attrs: ['usercertificate', 'krbprincipalauthind'], privileges: [SA] },
    { name: 'System: Manage Service Principals', rights: ['write'], attrs: ['krbprincipalname', 'krbcanonicalname'], privileges: [SA] },
    { name: 'System: Remove Services', rights: ['delete'], privileges: [SA] },
  ],
};
