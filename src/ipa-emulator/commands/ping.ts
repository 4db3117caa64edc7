/**
 * ping (ipaserver/plugins/ping.py) and session_logout
 * (ipaserver/plugins/session.py): the cheap version probe, and the end of
 * a cookie session.
 */
import { defineCommands } from '../command.js';

export const miscCommands = defineCommands(
  {
    name: 'ping',
    write: false,
    args: [],
    options: [],
    async run(ctx) {
      return { summary: `IPA server version ${ctx.env.packageVersion}. API version ${ctx.env.apiVersion}` };
    },
  },
  {
    name: 'session_logout',
    write: false,
    args: [],
    options: [],
    async run(ctx) {
      ctx.session?.logout();
      return { result: null };
    },
  },
);
