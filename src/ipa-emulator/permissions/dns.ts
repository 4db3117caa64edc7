/** dns.py managed_permissions on dnszone (FreeIPA 4.12; freeipa-access.md 1.4): non-object, any entry under cn=dns. */
import type { PermissionTable } from './types.js';

const DA = 'DNS Administrators';
const DS = 'DNS Servers';
const RECORD_ATTRS = [
  'objectclass', 'a6record', 'aaaarecord', 'afsdbrecord', 'aplrecord', 'arecord', 'certrecord', 'cn', 'cnamerecord', 'dhcidrecord', 'dlvrecord',
  'dnamerecord', 'dnsclass', 'dnsdefaultttl', 'dnsttl', 'dsrecord', 'hinforecord', 'hiprecord', 'idnsallowdynupdate', 'idnsallowquery',
  'idnsallowsyncptr', 'idnsallowtransfer', 'idnsforwarders', 'idnsforwardpolicy', 'idnsname', 'idnssecinlinesigning', 'idnssoaexpire',
  'idnssoaminimum', 'idnssoamname', 'idnssoarefresh', 'idnssoaretry', 'idnssoarname', 'idnssoaserial', 'idnsTemplateAttribute', 'idnsupdatepolicy',
  'idnszoneactive', 'ipseckeyrecord', 'keyrecord', 'kxrecord', 'locrecord', 'managedby', 'mdrecord', 'minforecord', 'mxrecord', 'naptrrecord',
  'nsecrecord', 'nsec3paramrecord', 'nsrecord', 'nxtrecord', 'ptrrecord', 'rprecord', 'rrsigrecord', 'sigrecord', 'spfrecord', 'srvrecord',
  'sshfprecord', 'tlsarecord', 'txtrecord', 'urirecord', 'unknownrecord',
];

export const dnsPermissions: PermissionTable = {
  location: '',
  target: 'idnsname=*,cn=dns',
  permissions: [
    { name: 'System: Add DNS Entries', rights: ['add'], privileges: [DA, DS] },
    { name: 'System: Read DNS Entries', rights: ['read', 'search', 'compare'], attrs: RECORD_ATTRS, privileges: [DA, DS] },
    { name: 'System: Remove DNS Entries', rights: ['delete'], privileges: [DA, DS] },
    { name: 'System: Update DNS Entries', rights: ['write'], attrs: RECORD_ATTRS, privileges: [DA, DS] },
  ],
};
