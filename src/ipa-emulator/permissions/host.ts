/** host.py managed_permissions (FreeIPA 4.12; freeipa-access.md 1.1). */
import type { PermissionTable } from './types.js';

const HA = 'Host Administrators';
const HE = 'Host Enrollment';

export const hostPermissions: PermissionTable = {
  location: 'cn=computers,cn=accounts',
  objectFilter: '(objectclass=ipahost)',
  permissions: [
    {
      name: 'System: Read Hosts',
      rights: ['read', 'search', 'compare'],
      bind: 'all',
      attrs: [
        'cn', 'description', 'enrolledby', 'fqdn', 'ipaassignedidview', 'ipaclientversion', 'ipakrbauthzdata', 'ipasshpubkey', 'ipauniqueid',
        'krbcanonicalname', 'krblastpwdchange', 'krbpasswordexpiration', 'krbprincipalaliases', 'krbprincipalauthind', 'krbprincipalexpiration',
        'krbprincipalname', 'l', 'macaddress', 'managedby', 'memberprincipal', 'nshardwareplatform', 'nshostlocation', 'nsosversion', 'objectclass',
        'serverhostname', 'usercertificate', 'userclass',
      ],
    },
    { name: 'System: Read Host Membership', rights: ['read', 'search', 'compare'], bind: 'all', attrs: ['memberof'] },
    { name: 'System: Add Hosts', rights: ['add'], privileges: [HA] },
    { name: 'System: Add krbPrincipalName to a Host', rights: ['write'], attrs: ['krbprincipalname'], extraFilter: '(!(krbprincipalname=*))', privileges: [HA, HE] },
    { name: 'System: Enroll a Host', rights: ['write'], attrs: ['objectclass', 'enrolledby', 'nshardwareplatform', 'nsosversion'], privileges: [HA, HE] },
    { name: 'System: Manage Host SSH Public Keys', rights: ['write'], attrs: ['ipasshpubkey'], privileges: [HA] },
    {
      name: 'System: Manage Host Keytab',
      rights: ['write'],
      attrs: ['krblastpwdchange', 'krbprincipalkey'],
      extraFilter: '(!(memberOf=cn=ipaservers,cn=hostgroups,cn=accounts,$SUFFIX))',
      privileges: [HA, HE],
    },
    {
      name: 'System: Modify Hosts',
      rights: ['write'],
      attrs: ['description', 'l', 'nshardwareplatform', 'nshostlocation', 'nsosversion', 'macaddress', 'userclass', 'ipaassignedidview', 'krbprincipalauthind'],
      privileges: [HA],
    },
    { name: 'System: Remove Hosts', rights: ['delete'], privileges: [HA] },
    { name: 'System: Manage Host Certificates', rights: ['write'], attrs: ['usercertificate'], privileges: [HA, HE] },
    { name: 'System: Manage Host Principals', rights: ['write'], attrs: ['krbprincipalname', 'krbcanonicalname'], privileges: [HA, HE] },
    { name: 'System: Manage Host Enrollment Password', rights: ['write'], attrs: ['userpassword'], privileges: [HA, HE] },
  ],
};
