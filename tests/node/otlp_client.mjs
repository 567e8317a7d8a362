#!/usr/bin/env node
// Sends log records to logsvc's POST /v1/logs with the official OpenTelemetry
// JavaScript SDK (tests/node/node_modules, pinned in package.json): a
// LoggerProvider with a resource, a BatchLogRecordProcessor and the OTLP/HTTP
// exporter of the protocol asked for. For tests/integration/test_otlp.py.
//
//   node tests/node/otlp_client.mjs BASE_URL PROTOCOL RUN [COMPRESSION]
//       BASE_URL     e.g. http://127.0.0.1:8080 (the exporter posts to /v1/logs)
//       PROTOCOL     json (exporter-logs-otlp-http) or proto (exporter-logs-otlp-proto)
//       RUN          a word put in every record's body, to find them again
//       COMPRESSION  none (default) or gzip
//
// Emits five records under resource service.name=otlp-itest-<PROTOCOL>
// (and deployment.environment=test), scope itest.logger 1.0.0, forces a
// flush, and prints one JSON object: {"exports": [{"code", "error"}...],
// "records": [{"body", "severityNumber", "severityText", "timestamp"}...]}
// (timestamp: the Unix ms given, or null). Exits 1 if an export failed.
import { context, trace, TraceFlags } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter as JsonExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';

const [baseUrl, protocol, run, compression = 'none'] = process.argv.slice(2);
if (!baseUrl || !['json', 'proto'].includes(protocol) || !run ||
    !['none', 'gzip'].includes(compression)) {
  console.error('usage: otlp_client.mjs BASE_URL json|proto RUN [none|gzip]');
  process.exit(2);
}

// Records every export's result, passing it on.
class RecordingExporter {
  constructor(inner) {
    this.inner = inner;
    this.results = [];
  }
  export(records, done) {
    this.inner.export(records, (result) => {
      this.results.push({ code: result.code, error: result.error ? String(result.error) : null });
      done(result);
    });
  }
  forceFlush() {
    return this.inner.forceFlush ? this.inner.forceFlush() : Promise.resolve();
  }
  shutdown() {
    return this.inner.shutdown();
  }
}

const Exporter = protocol === 'json' ? JsonExporter : ProtoExporter;
const exporter = new RecordingExporter(
    new Exporter({ url: baseUrl + '/v1/logs', compression, timeoutMillis: 10000 }));
const provider = new LoggerProvider({
  resource: resourceFromAttributes({
    'service.name': 'otlp-itest-' + protocol,
    'deployment.environment': 'test',
  }),
  // forceFlush exports what is queued and waits for the reply.
  processors: [new BatchLogRecordProcessor({ exporter, scheduledDelayMillis: 60000 })],
});
const logger = provider.getLogger('itest.logger', '1.0.0');

const minuteAgo = Date.now() - 60000;
const traced = trace.setSpanContext(context.active(), {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  traceFlags: TraceFlags.SAMPLED,
});
const records = [
  {
    body: `${run} hello from the ${protocol} exporter`,
    severityNumber: SeverityNumber.INFO,
    severityText: 'INFO',
    attributes: { 'user.id': 42, 'http.route': '/cart', 'cache.hit': true },
  },
  {
    body: `${run} payment failed: card declined`,
    severityNumber: SeverityNumber.ERROR,
    severityText: 'ERROR',
    attributes: { 'payment.amount': 12.5 },
    context: traced,
  },
  {
    body: `${run} disk almost full`,
    severityNumber: SeverityNumber.WARN2,
    severityText: 'WARN',
    timestamp: minuteAgo,
  },
  {
    body: `${run} verbose details`,
    severityNumber: SeverityNumber.DEBUG,
    attributes: { http: { method: 'GET', status: 200 } },
  },
  {
    body: `${run} no number, only text`,
    severityText: 'fatal',
  },
];
for (const r of records) logger.emit(r);
await provider.forceFlush();
await provider.shutdown();

const failed = exporter.results.some((r) => r.code !== 0) || exporter.results.length === 0;
console.log(JSON.stringify({
  exports: exporter.results,
  records: records.map((r) => ({
    body: r.body,
    severityNumber: r.severityNumber ?? 0,
    severityText: r.severityText ?? '',
    timestamp: r.timestamp ?? null,
  })),
}));
process.exit(failed ? 1 : 0);
