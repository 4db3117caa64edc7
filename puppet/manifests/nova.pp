# @summary The Nova side of novajoin, for a node running nova-api (metadata)
#   or nova-compute (config drives): the vendordata providers and dynamic
#   target, the service user Nova authenticates to novajoin with, and the
#   notifications novajoin-notify consumes.
#
# Plain puppet, no puppetlabs-inifile: the settings go into their own file,
# /etc/nova/nova.conf.d/novajoin.conf by default. oslo.config reads
# /etc/nova/nova.conf.d/*.conf after nova.conf when no --config-dir is given
# on the command line (the default since oslo.config 3.22 / Ocata), and the
# values there win over nova.conf. If your Nova services pass --config-dir,
# set snippet_file to a file in that directory. Restarting Nova is left to
# the caller: subscribe its services to File[$novajoin::nova::snippet_file].
#
# The static vendordata file (cloud-config-novajoin.json) is installed at
# static_json_path; it is what guests run to enroll themselves.
#
# @param target_url
#   URL Nova POSTs to (vendordata_dynamic_targets join@<url>); Nova adds no path.
# @param auth_url
#   Keystone URL for [vendordata_dynamic_auth].
# @param password
#   Password of the Nova service user in [vendordata_dynamic_auth].
# @param username
#   The Nova service user; novajoin's policy (compute_service_user) expects nova.
# @param project_name
#   Project of that user; novajoin's policy (service_project) expects service.
# @param user_domain_name
#   Domain of the user.
# @param project_domain_name
#   Domain of the project.
# @param auth_cafile
#   CA bundle for Keystone ([vendordata_dynamic_auth] cafile), if not the system store.
# @param target_cafile
#   CA bundle to verify an https target_url ([api] vendordata_dynamic_ssl_certfile).
# @param connect_timeout
#   [api] vendordata_dynamic_connect_timeout (Nova's minimum is 3).
# @param read_timeout
#   [api] vendordata_dynamic_read_timeout; novajoin answers within join_timeout (4.5 s) by default.
# @param failure_fatal
#   [api] vendordata_dynamic_failure_fatal: fail the metadata request or config drive when
#   novajoin fails, instead of booting the instance unenrolled.
# @param manage_static_json
#   Install the static vendordata file and list StaticJSON among the providers.
# @param static_json_path
#   Where the static vendordata file goes ([api] vendordata_jsonfile_path).
# @param notification_topics
#   [oslo_messaging_notifications] topics: keep the ones other consumers need, add novajoin's.
# @param versioned_notifications_topics
#   [notifications] versioned_notifications_topics, for notification_format versioned or both.
# @param notification_format
#   [notifications] notification_format; undef leaves Nova's default (unversioned).
# @param notify_on_state_change
#   [notifications] notify_on_state_change; without it Nova sends no instance.update at all.
# @param snippet_file
#   The file written.
# @param nova_group
#   Group that may read the file (it holds the service user's password).
#
class novajoin::nova (
  Variant[String[1], Sensitive[String[1]]] $password,
  String[1] $auth_url,
  String[1] $target_url = "http://${facts['networking']['fqdn']}:9090/v1/",
  String[1] $username = 'nova',
  String[1] $project_name = 'service',
  String[1] $user_domain_name = 'Default',
  String[1] $project_domain_name = 'Default',
  Optional[String[1]] $auth_cafile = undef,
  Optional[String[1]] $target_cafile = undef,
  Integer[3] $connect_timeout = 5,
  Integer[0] $read_timeout = 5,
  Boolean $failure_fatal = false,
  Boolean $manage_static_json = true,
  String[1] $static_json_path = '/etc/nova/cloud-config-novajoin.json',
  Array[String[1], 1] $notification_topics = ['notifications', 'novajoin_notifications'],
  Array[String[1], 1] $versioned_notifications_topics = ['versioned_notifications', 'novajoin_notifications'],
  Optional[Enum['unversioned', 'versioned', 'both']] $notification_format = undef,
  Enum['vm_state', 'vm_and_task_state'] $notify_on_state_change = 'vm_state',
  String[1] $snippet_file = '/etc/nova/nova.conf.d/novajoin.conf',
  String[1] $nova_group = 'nova',
) {
  if $manage_static_json {
    file { $static_json_path:
      ensure => file,
      owner  => 'root',
      group  => $nova_group,
      mode   => '0644',
      source => 'puppet:///modules/novajoin/cloud-config-novajoin.json',
    }
  }

  $snippet_dir = regsubst($snippet_file, '/[^/]+\z', '')
  if $snippet_dir == '/etc/nova/nova.conf.d' {
    file { $snippet_dir:
      ensure => directory,
      owner  => 'root',
      group  => $nova_group,
      mode   => '0750',
    }
  }

  file { $snippet_file:
    ensure    => file,
    owner     => 'root',
    group     => $nova_group,
    mode      => '0640',
    show_diff => false,
    content   => Sensitive(template('novajoin/nova-novajoin.conf.erb')),
  }
}
