/**
 * config_show (ipaserver/plugins/config.py): the global configuration of
 * cn=ipaConfig. Only the limits a client checks before a write are kept;
 * FreeIPA returns its Int attributes as lists of decimal strings.
 */
import { defineCommands } from '../command.js';
import { p } from '../params.js';

export const configCommands = defineCommands({
  name: 'config_show',
  write: false,
  args: [],
  options: [p.flag('all'), p.flag('raw'), p.flag('rights')],
  async run(ctx) {
    return {
      result: {
        cn: ['ipaConfig'],
        ipamaxhostnamelength: [String(ctx.env.maxHostnameLength)],
        ipasearchrecordslimit: [String(ctx.env.searchRecordsLimit)],
      },
      value: '',
      summary: null,
    };
  },
});
