/** Public surface of the notification listener (novajoin-notify). */
export type { DeliveryContext, EventEnvelope, EventHandler, FixedIp, InstanceEventKind, InstanceFacts, NovaEvent, NovaEventKind } from './types.js';
export { PoisonMessage, isTransient } from './errors.js';
export { parseNotification, normalise, HANDLED_EVENT_TYPES, type ParseResult, type ParsedEvent, type IgnoredMessage, type UnsupportedVersion } from './parse.js';
export { parseOsloMessage, parseOsloTimestamp, type OsloMessage } from './envelope.js';
export { parseTransportUrl, type AmqpEndpoint } from './transport-url.js';
export { NotificationConsumer, CONSUMER_STATES, type ConsumerState, type ConsumerEvents, type MessageSettled, type NotificationConsumerOptions } from './consumer.js';
export { startNotifyListener, type NotifyListener, type NotifyListenerOptions } from './listener.js';
export { startHealthServer, type HealthServer } from './health-server.js';
export { HealthFile } from './health-file.js';
export { closeOnSignals } from './lifecycle.js';
export { HEADER as NOTIFY_HEADERS } from './republish.js';
