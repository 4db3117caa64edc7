#!/usr/bin/env python3
"""Publish notifications the way Nova (or Neutron) does: oslo.messaging's
Notifier on the rabbit driver, configured from a nova.conf-like file.

    python3 oslo_notify.py --config-file nova.conf --service nova < messages.json

stdin is a JSON list of {"notifier": "legacy" | "versioned", "publisher_id",
"event_type", "priority", "payload", "context"}. The notifiers are built as
nova/rpc.py builds them (legacy: [oslo_messaging_notifications] topics;
versioned: [notifications] versioned_notifications_topics, options nova
registers itself, declared here with nova's defaults since nova is not
installed). The control exchange is the service's own, as nova/config.py and
neutron/common/config.py set it, unless the file sets [DEFAULT]
control_exchange. oslo's Notifier logs a failed send instead of raising
it: such a log record makes this script exit 1 with the record on stderr.
Prints {"published": n} when every send went out.
"""
import argparse
import json
import logging
import sys

from oslo_config import cfg
import oslo_messaging as messaging

NOVA_NOTIFICATION_OPTS = [
    cfg.StrOpt('notification_format', default='unversioned',
               choices=['both', 'versioned', 'unversioned']),
    cfg.ListOpt('versioned_notifications_topics',
                default=['versioned_notifications']),
    cfg.StrOpt('notify_on_state_change'),
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--config-file', required=True)
    parser.add_argument('--service', choices=['nova', 'neutron'], required=True)
    # Nova retries a lost broker forever (-1); a test wants the failure.
    parser.add_argument('--retry', type=int, default=2)
    args = parser.parse_args()

    failures = []

    class Failures(logging.Handler):
        def emit(self, record):
            failures.append(record.getMessage())

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    logging.getLogger('oslo_messaging.notify.notifier').addHandler(Failures(level=logging.ERROR))

    conf = cfg.ConfigOpts()
    conf.register_opts(NOVA_NOTIFICATION_OPTS, group='notifications')
    messaging.set_transport_defaults(control_exchange=args.service)
    conf([], project=args.service, default_config_files=[args.config_file])
    transport = messaging.get_notification_transport(conf)

    legacy = messaging.Notifier(transport, retry=args.retry)
    versioned = messaging.Notifier(
        transport, retry=args.retry,
        topics=conf.notifications.versioned_notifications_topics)
    fmt = conf.notifications.notification_format if args.service == 'nova' else 'unversioned'

    published = 0
    for message in json.load(sys.stdin):
        kind = message.get('notifier', 'legacy')
        if fmt not in ('both', 'versioned' if kind == 'versioned' else 'unversioned'):
            continue  # nova.rpc: this format is turned off
        notifier = (versioned if kind == 'versioned' else legacy).prepare(
            publisher_id=message['publisher_id'])
        send = getattr(notifier, message.get('priority', 'INFO').lower())
        send(message.get('context') or {}, message['event_type'], message['payload'])
        published += 1
    transport.cleanup()
    if failures:
        sys.stderr.write('notifications not sent: %s\n' % '; '.join(failures))
        sys.exit(1)
    print(json.dumps({'published': published}))


if __name__ == '__main__':
    main()
