import { OSLO_PRIORITIES } from './defaults.js';
import type { Report } from './errors.js';
import type { Config } from './types.js';

/** Nova's default [api] vendordata_dynamic_read_timeout, seconds: it gives up on a join after this. */
const NOVA_READ_TIMEOUT_S = 5;

/** Checks that involve more than one option, or a value in context. */
export function crossCheck(config: Config, report: Report): void {
  if (config.server.headerTimeoutMs > config.server.requestTimeoutMs) {
    report('error', 'DEFAULT', 'request_timeout', `must be at least header_timeout (${config.server.headerTimeoutMs / 1000} s)`);
  }
  const ipa = config.freeipa;
  if (!/^https?:\/\//.test(ipa.urlTemplate)) {
    report('error', 'freeipa', 'url', `"${ipa.urlTemplate}" is not an http(s) URL`);
  }
  if (!ipa.urlTemplate.includes('{server}') && (ipa.servers.length > 1 || ipa.discover)) {
    report('error', 'freeipa', 'url', `"${ipa.urlTemplate}" names one server; with several servers or discover = true write {server} where each server's FQDN goes, e.g. https://{server}/ipa`);
  }
  for (const name of ipa.servers) {
    // localhost: the embedded FreeIPA of `novajoin dev` is reached by that name.
    if (name !== 'localhost' && !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/.test(name)) {
      report('error', 'freeipa', 'server', `"${name}" is not a fully qualified host name (FreeIPA's canonical name, without a port: put a port in [freeipa] url)`);
    }
  }
  for (const dnsServer of ipa.dnsServers) {
    if (!/^(\d{1,3}(\.\d{1,3}){3}(:\d{1,5})?|\[[0-9a-f:]+\](:\d{1,5})?|[0-9a-f:]+)$/i.test(dnsServer)) {
      report('error', 'freeipa', 'dns_servers', `"${dnsServer}" is not an IP address or ip:port`);
    }
  }
  if (ipa.discover && ipa.location && !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/i.test(ipa.location)) {
    report('error', 'freeipa', 'location', `"${ipa.location}" is not a FreeIPA location name (one DNS label)`);
  }
  for (const url of config.ldap.urls) {
    if (!/^ldaps?:\/\//.test(url)) report('error', 'ldap', 'url', `"${url}" must start with ldap:// or ldaps://`);
  }
  if (!/^(rabbit|amqps?):\/\//.test(config.notifications.transportUrl)) {
    report('error', 'DEFAULT', 'transport_url', 'must start with rabbit://, amqp:// or amqps://');
  }
  const unknownPriority = config.notifications.priorities.find((p) => !(OSLO_PRIORITIES as readonly string[]).includes(p));
  if (unknownPriority !== undefined || config.notifications.priorities.length === 0) {
    report('error', 'notifications', 'priorities', `${unknownPriority ? `"${unknownPriority}" is not` : 'needs at least one of'} oslo.messaging's priorities (${OSLO_PRIORITIES.join(', ')})`);
  }
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(config.naming.domain)) {
    report('error', 'DEFAULT', 'domain', `"${config.naming.domain}" is not a DNS domain name`);
  }
  if (config.naming.hostnameTemplate && !config.naming.hostnameTemplate.includes('{hostname}')) {
    report('error', 'DEFAULT', 'hostname_template', 'must contain {hostname}');
  }
  const unknownField = /\{(?!hostname\}|project\}|project_id\}|domain\})[^}]*\}/.exec(config.naming.hostnameTemplate);
  if (unknownField) {
    report('error', 'DEFAULT', 'hostname_template', `unknown field ${unknownField[0]}; accepted: {hostname} {project} {project_id} {domain}`);
  }
  if (!/^2\.\d+$/.test(config.freeipa.apiVersion)) {
    report('error', 'freeipa', 'api_version', `"${config.freeipa.apiVersion}" is not a FreeIPA API version such as 2.230`);
  }
  if (config.server.joinTimeoutMs > NOVA_READ_TIMEOUT_S * 1000) {
    report(
      'warning',
      'DEFAULT',
      'join_timeout',
      `${config.server.joinTimeoutMs / 1000} s is longer than Nova waits by default (${NOVA_READ_TIMEOUT_S} s, nova.conf [api] vendordata_dynamic_read_timeout): raise that too, or a slow join is abandoned by Nova while it still runs here`,
    );
  }
}
