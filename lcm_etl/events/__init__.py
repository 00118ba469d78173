"""The Open edX event bus (Redis Streams, as edx-event-bus-redis writes them), read without Django:
Avro decoding with the vendored schemas, learner → enterprise resolution, and the consumer that
lands events in ``lcm_raw.event_bus_event`` and refreshes the enterprises they touch."""
