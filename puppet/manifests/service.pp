# @summary The systemd units and the novajoin-server and novajoin-notify
#   services. Private: declared by class novajoin.
#
# The units are the ones shipped in systemd/ (same names as novajoin 1.1).
# A drop-in sets what the module's parameters may change: the binary
# directory, the configuration file, the user and the group, and a stop
# timeout 15 s longer than the drain of work in flight, so that systemd does
# not SIGKILL a drain it asked for. Puppet (6.1 and later) reloads systemd
# itself when a unit file changes.
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

  $stop_timeout = ceiling($novajoin::notifications_drain_timeout) + 15
  $dir = $novajoin::unit_dir

  $units.each |String $unit, Hash $state| {
    if $novajoin::manage_unit_files {
      file { "${dir}/${unit}.service":
        ensure => file,
        owner  => 'root',
        group  => 'root',
        mode   => '0644',
        source => "puppet:///modules/novajoin/${unit}.service",
      }
      file { "${dir}/${unit}.service.d":
        ensure => directory,
        owner  => 'root',
        group  => 'root',
        mode   => '0755',
      }
      file { "${dir}/${unit}.service.d/novajoin-puppet.conf":
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
          TimeoutStopSec=${stop_timeout}s
          | DROPIN
      }
      if $novajoin::manage_service {
        File["${dir}/${unit}.service"] ~> Service[$unit]
        File["${dir}/${unit}.service.d/novajoin-puppet.conf"] ~> Service[$unit]
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
