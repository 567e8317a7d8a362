// winston + winston-loki (Grafana Loki's push API as a Node.js application
// sends it) against a logsvc server, for tests/integration/test_loki.py.
//
//   node loki_client.mjs <base url> <json|protobuf> <token>
//
// Logs four entries through one winston logger, in one batch (one push
// request), each message holding <token>, then prints one JSON object:
//   {"contentType": the Content-Type winston-loki used (protobuf mode needs
//    the snappy binding: without it winston-loki silently falls back to JSON),
//    "sent": [{"level", "message", "timestamp" (Unix ms), "labels", "meta"}],
//    "error": null or the push's error message}
// Exit status 0 unless the script itself failed.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const winston = require('winston')
const LokiTransport = require('winston-loki')

const [base, mode, token] = process.argv.slice(2)
if (!base || !['json', 'protobuf'].includes(mode) || !token) {
  console.error('usage: node loki_client.mjs <base url> <json|protobuf> <token>')
  process.exit(2)
}

const errors = []
const transport = new LokiTransport({
  host: base,
  json: mode === 'json',
  labels: { app: 'checkout', env: 'test' },
  replaceTimestamp: false, // keep the times logged here
  batching: true,
  interval: 3600, // sent below, on demand
  gracefulShutdown: false,
  timeout: 10000,
  onConnectionError: (err) => errors.push(String(err && err.message ? err.message : err))
})
const logger = winston.createLogger({ level: 'debug', transports: [transport] })

const now = Date.now()
const sent = [
  { level: 'warn', message: `disk ${token} almost full`, timestamp: now - 60000 + 1, labels: { component: 'disk' }, meta: { trace_id: 'abc123' } },
  { level: 'error', message: `payment ${token} failed: card declined`, timestamp: now - 60000 + 2, labels: {}, meta: { order_id: '42' } },
  { level: 'info', message: `user ${token} logged in`, timestamp: now - 60000 + 3, labels: {}, meta: {} },
  { level: 'debug', message: `cache ${token} miss`, timestamp: now - 60000 + 4, labels: { component: 'cache' }, meta: {} }
]

let logged = 0
transport.on('logged', () => { logged++ })
for (const e of sent) {
  const info = { level: e.level, message: e.message, timestamp: e.timestamp, ...e.meta }
  if (Object.keys(e.labels).length > 0) info.labels = e.labels
  logger.log(info)
}
// winston hands entries to its transports asynchronously.
const deadline = Date.now() + 5000
while (logged < sent.length && Date.now() < deadline) {
  await new Promise((resolve) => setTimeout(resolve, 10))
}

try {
  await transport.batcher.sendBatchToLoki()
} catch (err) {
  if (errors.length === 0) errors.push(String(err && err.message ? err.message : err))
}
await transport.close()
process.stdout.write(JSON.stringify({
  contentType: transport.batcher.contentType,
  logged,
  sent,
  error: errors.length > 0 ? errors.join('; ') : null
}) + '\n')
process.exit(0)
