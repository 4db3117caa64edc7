# @summary join.conf and the policy file. Private: declared by class novajoin.
#
# join.conf holds secrets (transport_url, passwords), so its content is
# Sensitive and show_diff is off: neither the report nor the log of an agent
# run shows it. It is root:group 0640: the services read it through the group.
#
# @api private
class novajoin::config {
  file { $novajoin::config_dir:
    ensure => directory,
    owner  => 'root',
    group  => $novajoin::group,
    mode   => '0750',
  }

  file { $novajoin::config_file:
    ensure    => file,
    owner     => 'root',
    group     => $novajoin::group,
    mode      => '0640',
    show_diff => false,
    content   => Sensitive(template('novajoin/join.conf.erb')),
  }

  if $novajoin::manage_policy {
    file { $novajoin::policy_file:
      ensure  => file,
      owner   => 'root',
      group   => $novajoin::group,
      mode    => '0640',
      content => template('novajoin/policy.yaml.erb'),
    }
  }
}
