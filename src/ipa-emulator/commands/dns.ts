/**
 * dnsrecord_add/del/find/show, dnszone_show, dns_is_enabled
 * (ipaserver/plugins/dns.py): raw record lists or `<type>_part_*` options,
 * values merged into the name's entry (an identical existing value is
 * EmptyModlist), PTRs made by `a_extra_create_reverse`, deletion of absent
 * values refused (AttrValueNotFound), the entry removed with its last record.
 */
import { defineCommands } from '../command.js';
import { dnsrecordAddCommand } from './dns-record-add.js';
import { dnsrecordDelCommand } from './dns-record-del.js';
import { dnsrecordFindCommand, dnsrecordShowCommand } from './dns-record-read.js';
import { dnsIsEnabledCommand, dnszoneShowCommand } from './dns-zone.js';

export const dnsCommands = defineCommands(
  dnsrecordAddCommand,
  dnsrecordDelCommand,
  dnsrecordShowCommand,
  dnsrecordFindCommand,
  dnszoneShowCommand,
  dnsIsEnabledCommand,
);
