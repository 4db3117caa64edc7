/**
 * host_add, host_mod, host_del, host_show, host_find, host_disable with the
 * semantics of ipaserver/plugins/host.py (FreeIPA 4.9): the OTP that keeps
 * krbPrincipalName off the entry, the refusal to set a password on an
 * enrolled host, the DNS check without `force`, services deleted with their
 * host, `updatedns`, find without NotFound and with a size limit.
 */
import { defineCommands } from '../command.js';
import { hostAddCommand } from './host-add.js';
import { hostDelCommand } from './host-del.js';
import { hostDisableCommand } from './host-disable.js';
import { hostFindCommand } from './host-find.js';
import { hostModCommand } from './host-mod.js';
import { hostShowCommand } from './host-show.js';

export const hostCommands = defineCommands(hostAddCommand, hostModCommand, hostDelCommand, hostShowCommand, hostFindCommand, hostDisableCommand);
