# FreeIPA's own client (ipalib, the code behind the `ipa` command) driving
# the commands novajoin uses against the test FreeIPA. Each step's answer,
# or its error, is printed as one JSON document on stdout.
#
#   drive.py <step-file.json>   where the file holds [[name, args, options], ...]
#   a step named "sleep" waits args[0] seconds on the same connection.
import base64
import datetime
import json
import sys
import time

from ipalib import api, errors

SERVER = sys.argv[2]
DOMAIN = sys.argv[3]
REALM = DOMAIN.upper()


def plain(value):
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, bytes):
        return {"bytes": base64.b64encode(value).decode()}
    if isinstance(value, datetime.datetime):
        return {"datetime": value.strftime("%Y%m%d%H%M%SZ")}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return {"type": type(value).__name__, "text": str(value)}


api.bootstrap(
    context="cli",
    in_server=False,
    debug=False,
    server=SERVER,
    host="novajoin." + DOMAIN,
    domain=DOMAIN,
    realm=REALM,
    basedn=",".join("dc=" + label for label in DOMAIN.split(".")),
    xmlrpc_uri="https://%s/ipa/xml" % SERVER,
    jsonrpc_uri="https://%s/ipa/json" % SERVER,
)
api.finalize()
api.Backend.rpcclient.connect()

results = []
with open(sys.argv[1]) as f:
    steps = json.load(f)
for name, args, options in steps:
    if name == "sleep":
        time.sleep(args[0])
        continue
    try:
        results.append({"command": name, "result": plain(api.Command[name](*args, **options))})
    except errors.PublicError as e:
        results.append({"command": name, "error": {"name": type(e).__name__, "code": e.errno, "message": str(e)}})
print(json.dumps(results))
