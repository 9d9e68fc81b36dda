import { Type, type Static } from 'typebox';

/**
 * The whole configuration, one schema: it gives the type, the defaults and the validation.
 * docs/configuration.md lists every key with its default and the reason for it; a test keeps
 * the two in step.
 */
const Port = (port: number, description: string) => Type.Integer({ minimum: 0, maximum: 65535, default: port, description });
const Duration = (ms: number, description: string) => Type.Integer({ minimum: 0, default: ms, description });

export const ConfigSchema = Type.Object(
  {
    dataDir: Type.String({ default: './data', description: 'Spool, embedded database and generated secrets live here.' }),
    demo: Type.Object(
      {
        enabled: Type.Boolean({ default: false, description: 'Also run the simulated town (sensor fleets). Its data is marked as an exercise.' }),
        devicesPerKind: Type.Integer({ minimum: 1, maximum: 1000, default: 3, description: 'Simulated devices of each built-in kind: enough to see every adapter at work, few enough for a laptop.' }),
        intervalMs: Duration(2000, 'How often each simulated device reports.'),
        scenario: Type.String({ default: 'rainstorm', description: 'Demo scenario: calm, rainstorm, fire, manhole, gas-leak.' }),
        speed: Type.Integer({ minimum: 1, maximum: 120, default: 1, description: 'Run the demo (gateway and town) this many times faster than real time: 20 plays the 40-minute rainstorm in 2 minutes. Times in the data then run ahead of the wall clock.' }),
      },
      { default: {}, additionalProperties: false },
    ),
    log: Type.Object(
      {
        level: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info', description: 'pino log level; info shows start-up, status changes and alarms without per-message noise.' }),
        pretty: Type.Boolean({ default: false, description: 'Human-readable logs (npm start turns it on at a terminal); JSON lines otherwise, for log shippers.' }),
      },
      { default: {}, additionalProperties: false },
    ),
    http: Type.Object(
      {
        host: Type.String({ default: '0.0.0.0', description: 'Interface for the HTTP API; 0.0.0.0 so the district centre and dashboards can reach it.' }),
        port: Port(8080, 'HTTP API, docs, metrics and MQTT over WebSocket. 0 picks a free port.'),
        bodyLimit: Type.Integer({ minimum: 1024, default: 10 * 1024 * 1024, description: 'Largest HTTP body (bulk imports).' }),
        publicUrl: Type.String({ default: '', description: 'How others reach this gateway (e.g. https://town.example.cn), for links it sends out such as the 叫应 acknowledgeUrl; empty: paths only.' }),
      },
      { default: {}, additionalProperties: false },
    ),
    auth: Type.Object(
      {
        adminToken: Type.String({ default: '', description: 'Bootstrap admin bearer token. Empty: one is generated into dataDir/admin-token on first start.' }),
      },
      { default: {}, additionalProperties: false },
    ),
    rules: Type.Object(
      {
        seedDefaults: Type.Boolean({ default: true, description: 'On first start (no rule version in the database), activate the default rule sets in rules/defaults/.' }),
        maxLatenessMs: Duration(60 * 60 * 1000, 'Readings older than this (device time against the clock) are stored but not evaluated, and the warning log says so.'),
        tickMs: Duration(1000, 'How often time-driven rule steps run (for, clearFor, no-data).'),
        flushMs: Duration(0, 'Group window before a warning change (and the rule states behind it) is committed; 0 commits at once, the next reading joins the following commit.'),
        statesFlushMs: Duration(500, 'Rule states that changed without a warning change (most readings) are saved this often, or sooner when the ingest drain waits for them.'),
      },
      { default: {}, additionalProperties: false },
    ),
    warnings: Type.Object(
      {
        acknowledgeGrades: Type.Array(Type.Enum(['blue', 'yellow', 'orange', 'red']), { default: ['orange', 'red'], description: '叫应: grades that must be acknowledged by the person on duty (seed 003 §四: orange and above).' }),
        acknowledgeDeadlineMs: Duration(5 * 60 * 1000, 'Default time to acknowledge before escalating to the next in the chain.'),
        remindEveryMs: Duration(60 * 1000, 'Default interval between reminders while unacknowledged.'),
        stormPerBlockPerMinute: Type.Integer({ minimum: 1, default: 10, description: 'Storm control: new warnings per block per minute before the rest are grouped into one storm warning.' }),
      },
      { default: {}, additionalProperties: false },
    ),
    outbox: Type.Object(
      {
        workers: Type.Integer({ minimum: 1, maximum: 64, default: 16, description: 'Concurrent deliveries per process (rows claimed with SKIP LOCKED, so processes can share the table); 16 carries over 2,000 district cases/s on two cores (docs/benchmarks.md).' }),
        pollMs: Duration(1000, 'Idle poll for due messages (enqueues in this process wake workers at once).'),
        backoffBaseMs: Duration(1000, 'First retry delay; doubles per attempt, with full jitter.'),
        backoffMaxMs: Duration(5 * 60 * 1000, 'Longest delay between retries.'),
        maxAgeMs: Duration(7 * 24 * 60 * 60 * 1000, 'Give up on a message this old (it stays in the table, visible and re-sendable).'),
        leaseMs: Duration(60 * 1000, 'A claimed message not finished in this long is claimed again (its worker died).'),
      },
      { default: {}, additionalProperties: false },
    ),
    notifiers: Type.Array(
      Type.Object(
        {
          name: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,63}$', description: 'What rules name in actions.notify.' }),
          type: Type.Enum(['webhook', 'broadcast', 'mqtt', 'sse'], { description: 'webhook: JSON POST (SMS / phone / DingTalk gateways); broadcast: a block loudspeaker / LED / emergency-broadcast controller with delivery receipts; mqtt: a platform topic; sse: the event stream.' }),
          url: Type.String({ default: '', description: 'webhook and broadcast: where to POST.' }),
          secret: Type.String({ default: '', description: 'HMAC-SHA256 key for the X-CityOps-Signature header; empty: unsigned.' }),
          topic: Type.String({ default: '', description: 'mqtt: topic to publish to (default cityops/v1/notifications/{grade}).' }),
          timeoutMs: Duration(5000, 'Per-attempt timeout.'),
          blocks: Type.Array(Type.String({ pattern: '^[0-9]{1,17}$' }), { default: [], description: 'broadcast: block prefixes this controller covers.' }),
        },
        { additionalProperties: false },
      ),
      { default: [], description: 'Notifier channels rules can name. `sse` and `mqtt` exist built in.' },
    ),
    cases: Type.Object(
      {
        openAtGrade: Type.Enum(['off', 'blue', 'yellow', 'orange', 'red'], { default: 'red', description: 'Rule warnings at or above this grade open a case for the district even when the rule does not ask for one (`openCase`); off: only rule actions.' }),
        sla: Type.Object(
          {
            firstReportMs: Duration(30 * 60 * 1000, 'First report to the district within this long of the incident (seeds 000, 004).'),
            writtenReportMs: Duration(60 * 60 * 1000, 'Confirmed written report within this long of the incident (seeds 000, 004).'),
            signMs: Duration(10 * 60 * 1000, 'A dispatched unit signs for the case within this much of its duty time (seed 004 第十二条).'),
            arriveTier1Ms: Duration(20 * 60 * 1000, 'A tier-1 unit arrives within this much duty time of the dispatch (seed 004).'),
            arriveOtherMs: Duration(30 * 60 * 1000, 'Tier-2 and tier-3 units arrive within this much duty time of the dispatch (seed 004).'),
            pointsPerMiss: Type.Number({ minimum: 0, default: 0.5, description: 'Points deducted from a unit per missed deadline in the monthly linkage report (seed 004, annex 2).' }),
            tickMs: Duration(1000, 'How often open deadlines are checked, so a breach is raised within this long of happening.'),
          },
          { default: {}, additionalProperties: false },
        ),
        sources: Type.Array(
          Type.Object(
            {
              id: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$', description: 'Source id sent in X-CityOps-Source, e.g. 12345 or 110.' }),
              name: Type.String({ default: '', description: 'Display name, e.g. 12345 市民热线.' }),
              secret: Type.String({ minLength: 16, description: 'The source\'s HMAC-SHA256 key: it signs each POST /api/v1/cases like our own deliveries are signed.' }),
              category: Type.String({ default: 'other', description: 'Category of its cases when the report names none.' }),
            },
            { additionalProperties: false },
          ),
          { default: [], description: 'External case sources (12345 hotline, 110 linkage, other platforms), each with its own key.' },
        ),
      },
      { default: {}, additionalProperties: false },
    ),
    district: Type.Object(
      {
        primaryUrl: Type.String({ default: '', description: 'The district platform\'s primary endpoint (base URL: /cases, /warnings, ... are appended). Empty: nothing is forwarded (messages wait in the outbox).' }),
        backupUrl: Type.String({ default: '', description: 'The backup link (seed 002 §21: two links that switch over); empty: primary only.' }),
        secret: Type.String({ default: '', description: 'HMAC-SHA256 key signing what we send (X-CityOps-Signature).' }),
        feedbackSecret: Type.String({ default: '', description: 'The district\'s key for POST /api/v1/district/feedback; empty: feedback is refused.' }),
        warningFormat: Type.Enum(['json', 'cap'], { default: 'cap', description: 'Warnings go to the district as CAP 1.2 XML or as JSON (cases are always JSON).' }),
        forwardMinGrade: Type.Enum(['off', 'blue', 'yellow', 'orange', 'red'], { default: 'blue', description: 'Warnings at or above this grade are forwarded (and their updates and cancels); off: none.' }),
        timeoutMs: Duration(3000, 'Per-attempt timeout; a primary that does not answer in time counts as down.'),
        probeMs: Duration(1000, 'While the backup carries the traffic, the primary is probed this often and taken back as soon as it answers.'),
        maxAgeMs: Type.Integer({ minimum: 24 * 60 * 60 * 1000, default: 7 * 24 * 60 * 60 * 1000, description: 'Give up on a district message this old (never less than 24 hours); it stays visible and re-sendable and an alarm is raised.' }),
        shareEveryMs: Duration(60 * 60 * 1000, 'Data sharing (seed S4): how often the device inventory and status, warnings summary and duty roster are pushed; 0: never.'),
        feedbackToleranceMs: Duration(5 * 60 * 1000, 'Feedback whose timestamp is further than this from now is refused; nonces are remembered twice this long.'),
        cap: Type.Object(
          {
            sender: Type.String({ pattern: '^[^\\s,<&]+$', default: 'cityops-gateway', description: 'CAP `sender` of forwarded warnings: unique to this centre, no spaces, commas, < or & (CAP 1.2 §3.2.1), e.g. cityops@town.example.cn.' }),
            senderName: Type.String({ minLength: 1, default: '城运中心', description: 'CAP `senderName`: the centre\'s name as people read it.' }),
            agencyCode: Type.String({ pattern: '^[0-9A-Za-z]+$', default: '00000', description: 'GB/T 35965.1 agency and internal code, after the 6-digit area code in CAP identifiers; the district assigns it.' }),
            areaCode: Type.String({ pattern: '^([0-9]{6})?$', default: '', description: 'GB/T 2260 6-digit code for warnings whose block code has fewer than 6 digits (external and system warnings); empty: such warnings go to the district as JSON.' }),
          },
          { default: {}, additionalProperties: false },
        ),
      },
      { default: {}, additionalProperties: false },
    ),
    externalWarnings: Type.Object(
      {
        forwardMinGrade: Type.Enum(['off', 'blue', 'yellow', 'orange', 'red'], { default: 'orange', description: 'External (CAP) warnings at or above this grade are forwarded to the district; off: none.' }),
        notify: Type.Array(Type.String(), { default: [], description: 'Notifier channels (besides MQTT) told of external warnings.' }),
      },
      { default: {}, additionalProperties: false },
    ),
    mqtt: Type.Object(
      {
        host: Type.String({ default: '0.0.0.0', description: 'Interface for MQTT; devices connect from the field network.' }),
        port: Port(1883, 'MQTT over TCP. 0 picks a free port.'),
        websocketPath: Type.String({ default: '/mqtt', description: 'MQTT over WebSocket on the HTTP server; empty disables it.' }),
        tls: Type.Object(
          {
            port: Port(8883, 'MQTT over TLS, when certFile and keyFile are set.'),
            certFile: Type.String({ default: '', description: 'PEM certificate for MQTT over TLS; empty disables TLS.' }),
            keyFile: Type.String({ default: '', description: 'PEM private key for MQTT over TLS.' }),
            caFile: Type.String({ default: '', description: 'PEM CA bundle; when set, clients must present a certificate it signed.' }),
          },
          { default: {}, additionalProperties: false },
        ),
        maxPacketBytes: Type.Integer({ minimum: 1024, maximum: 268435455, default: 256 * 1024, description: 'Largest MQTT packet, checked from the fixed header before the packet is buffered. Sensor payloads are bytes to a few KiB.' }),
        connectTimeoutMs: Duration(10000, 'A socket that has not sent CONNECT by then is closed.'),
      },
      { default: {}, additionalProperties: false },
    ),
    database: Type.Object(
      {
        url: Type.String({ default: '', description: 'postgres:// URL (TimescaleDB or plain PostgreSQL >= 14). Empty: embedded PGlite with TimescaleDB under dataDir.' }),
        poolSize: Type.Integer({ minimum: 1, maximum: 100, default: 8, description: 'PostgreSQL connections; a few suffice because ingest writes large batches.' }),
        chunkInterval: Type.String({ default: '1 day', description: 'TimescaleDB chunk interval for readings: a day of a town fits in memory comfortably.' }),
        compressAfter: Type.String({ default: '7 days', description: 'TimescaleDB compresses readings older than this (late data older than a week is rare).' }),
        retainFor: Type.String({ default: '400 days', description: 'Readings older than this are dropped: a year plus a margin for yearly reports (seed S14).' }),
      },
      { default: {}, additionalProperties: false },
    ),
    ingest: Type.Object(
      {
        batchMaxRows: Type.Integer({ minimum: 1, maximum: 100000, default: 20000, description: 'Largest batch the writer sends to the database in one statement. A batch costs a fixed ~80 ms under load, so large batches keep the writer ahead of 20,000+ messages/s (docs/benchmarks.md).' }),
        batchMaxWaitMs: Duration(50, 'A partial batch is written after this long.'),
        maxFutureSkewMs: Duration(5 * 60 * 1000, 'Readings stamped further ahead than this are rejected.'),
        spoolMaxBytes: Type.Integer({ minimum: 1024 * 1024, default: 1024 * 1024 * 1024, description: 'Spool quota; over it, QoS 1 publishes are refused, not acknowledged.' }),
        spoolCommitMs: Duration(2, 'Group-commit window: appends within it share one fsync.'),
      },
      { default: {}, additionalProperties: false },
    ),
    devices: Type.Object(
      {
        heartbeatMs: Type.Record(Type.String(), Type.Integer({ minimum: 1000 }), {
          default: { default: 600000, waterlogging: 600000, water_level: 3600000, smoke: 86400000, manhole_cover: 3600000, gas: 600000, electrical_fire: 600000 },
          description: 'Expected reporting interval per kind; `default` applies to kinds not listed.',
        }),
        missedHeartbeats: Type.Integer({ minimum: 1, default: 3, description: 'Missed intervals before a device is marked offline.' }),
      },
      { default: {}, additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;
