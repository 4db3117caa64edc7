# @summary The package (when there is one) and the system user and group the
#   novajoin services run as. Private: declared by class novajoin.
#
# @api private
class novajoin::install {
  if $novajoin::package_name {
    package { $novajoin::package_name:
      ensure => $novajoin::package_ensure,
    }
  }

  if $novajoin::manage_user {
    group { $novajoin::group:
      ensure => present,
      system => true,
    }
    user { $novajoin::user:
      ensure     => present,
      system     => true,
      gid        => $novajoin::group,
      home       => '/',
      managehome => false,
      shell      => '/usr/sbin/nologin',
      comment    => 'novajoin services',
      require    => Group[$novajoin::group],
    }
  }
}
