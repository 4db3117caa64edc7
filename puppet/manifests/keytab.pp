# @summary The files holding novajoin's credentials: the keytab, the OTP
#   secret and, when used, the FreeIPA and LDAP password files. Private:
#   declared by class novajoin.
#
# Each is owned by the service user, mode 0400, its content Sensitive and
# never diffed. A file whose content the module was not given (no
# keytab_source, no otp_secret, ...) is not created: only its owner and mode
# are enforced if it exists, so the module never writes an empty keytab.
# With manage_credential_files off, another class owns these files.
#
# @api private
class novajoin::keytab {
  if $novajoin::manage_credential_files {
    $private = {
      owner     => $novajoin::user,
      group     => $novajoin::group,
      mode      => '0400',
      show_diff => false,
      backup    => false,
    }

    if $novajoin::keytab_source {
      file { $novajoin::keytab:
        ensure => file,
        source => $novajoin::keytab_source,
        *      => $private,
      }
    } else {
      file { $novajoin::keytab:
        * => $private,
      }
    }

    if $novajoin::otp_secret {
      file { $novajoin::otp_secret_file:
        ensure  => file,
        content => Sensitive($novajoin::otp_secret),
        *       => $private,
      }
    } else {
      file { $novajoin::otp_secret_file:
        * => $private,
      }
    }

    if $novajoin::freeipa_password and $novajoin::freeipa_password_file != '' {
      file { $novajoin::freeipa_password_file:
        ensure  => file,
        content => Sensitive($novajoin::freeipa_password),
        *       => $private,
      }
    }

    if $novajoin::ldap_bind_password and $novajoin::ldap_bind_password_file != '' {
      file { $novajoin::ldap_bind_password_file:
        ensure  => file,
        content => Sensitive($novajoin::ldap_bind_password),
        *       => $private,
      }
    }
  }
}
