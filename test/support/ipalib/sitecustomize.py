# Loaded by python3 through PYTHONPATH in the ipalib tests: names listed in
# NOVAJOIN_TEST_HOSTS ("ipa.example.test=127.0.0.1") resolve to the given
# address, as /etc/hosts would make them, without touching /etc/hosts.
import os
import socket

_table = dict(
    pair.split("=", 1)
    for pair in os.environ.get("NOVAJOIN_TEST_HOSTS", "").split(",")
    if "=" in pair
)

if _table:
    _original = socket.getaddrinfo

    def _getaddrinfo(host, *args, **kwargs):
        if isinstance(host, bytes):
            host = host.decode()
        address = _table.get(str(host).lower()) if host else None
        return _original(address or host, *args, **kwargs)

    socket.getaddrinfo = _getaddrinfo
