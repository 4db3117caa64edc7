# @summary The systemd units and the novajoin-server and novajoin-notify
#   services. Private: declared by class novajoin.
#
# The units are the ones shipped in systemd/ (same names as novajoin 1.1).
# A drop-in sets what the module's parameters may change: the binary
# directory, the configuration file, the user and the group. Puppet (6.1 and
# later) reloads systemd itself when a unit file changes.
#
# @api private
class novajoin::service {
  $units = {
    'novajoin-server' => {
      'ensure' => $novajoin::server_ensure,
      'enable' => $novajoin::server_enable,
    },
    'novajoin-notify' => {
      'ensure' => $novajoin::notify_ensure,
      'enable' => $novajoin::notify_enable,
    },
  }

  $units.each |String $unit, Hash $state| {
    if $novajoin::manage_unit_files {
      file { "/etc/systemd/system/${unit}.service":
        ensure => file,
        owner  => 'root',
        group  => 'root',
        mode   => '0644',
        source => "puppet:///modules/novajoin/${unit}.service",
      }
      file { "/etc/systemd/system/${unit}.service.d":
        ensure => directory,
        owner  => 'root',
        group  => 'root',
        mode   => '0755',
      }
      file { "/etc/systemd/system/${unit}.service.d/novajoin-puppet.conf":
        ensure  => file,
        owner   => 'root',
        group   => 'root',
        mode    => '0644',
        content => @("DROPIN"),
          # Written by puppet (class novajoin): parameters of the module.
          [Service]
          User=${novajoin::user}
          Group=${novajoin::group}
          ExecStart=
          ExecStart=${novajoin::bin_dir}/${unit} --config-file ${novajoin::config_file}
          | DROPIN
      }
      if $novajoin::manage_service {
        File["/etc/systemd/system/${unit}.service"] ~> Service[$unit]
        File["/etc/systemd/system/${unit}.service.d/novajoin-puppet.conf"] ~> Service[$unit]
      }
    }

    if $novajoin::manage_service {
      service { $unit:
        ensure   => $state['ensure'],
        enable   => $state['enable'],
        provider => $novajoin::service_provider,
      }
    }
  }
}
