// The official Elasticsearch client for JavaScript (@elastic/elasticsearch)
// against a logsvc server, for tests/integration/test_es_bulk.py. The client
// checks every 2xx answer for X-Elastic-Product: Elasticsearch and refuses
// the server otherwise, as Elasticsearch's own clients do.
//
//   node es_client.mjs <base url> <token>
//
// Calls client.info() (GET /), then client.helpers.bulk (POST /_bulk) with
// six operations, every message holding <token>: three good documents, one
// from the future and one `delete` (both refused one by one), and one
// without a message field; then client.bulk on /path-logs/_bulk. Prints one
// JSON object: {"info": the GET / body, "stats": the helper's result,
// "successes": [{"id", "document"}], "drops": [{"status", "error",
// "operation", "document"}], "sent": the documents, "pathBulk": the second
// bulk's body, "error": null or what failed}.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { Client } = require('@elastic/elasticsearch')

const [base, token] = process.argv.slice(2)
if (!base || !token) {
  console.error('usage: node es_client.mjs <base url> <token>')
  process.exit(2)
}

const client = new Client({ node: base, maxRetries: 0, requestTimeout: 10000 })
const now = Date.now()
const iso = (ms) => new Date(ms).toISOString()
const sent = [
  { '@timestamp': iso(now - 60000 + 1), message: `login ${token} ok`, log: { level: 'warn', logger: 'auth' }, user: { id: 42, name: 'ada' }, 'service.name': 'auth' },
  { '@timestamp': now - 60000 + 2, message: `payment ${token} failed`, 'log.level': 'error', order: { id: 'o-7' } },
  { '@timestamp': iso(now - 60000 + 3), message: `cache ${token} miss` },
  { '@timestamp': iso(now + 3600 * 1000), message: `late ${token} entry` },
  { delete: true },
  { '@timestamp': iso(now - 60000 + 5), event: { code: `code-${token}` } }
]

const out = { sent, successes: [], drops: [], error: null }
try {
  out.info = await client.info()
  out.stats = await client.helpers.bulk({
    datasource: sent,
    concurrency: 1,
    retries: 0,
    onDocument (doc) {
      if (doc.delete) return { delete: { _index: 'app-logs', _id: 'some-id' } }
      return { create: { _index: 'app-logs' } }
    },
    onSuccess ({ result, document }) {
      const op = Object.keys(result)[0]
      out.successes.push({ id: result[op]._id, index: result[op]._index, status: result[op].status, document })
    },
    onDrop (drop) {
      out.drops.push({ status: drop.status, error: drop.error, operation: drop.operation, document: drop.document })
    }
  })
  out.pathBulk = await client.bulk({
    index: 'path-logs',
    operations: [{ index: {} }, { message: `path ${token} entry`, 'log.level': 'fatal' }]
  })
} catch (err) {
  out.error = String(err && err.stack ? err.stack : err)
}
process.stdout.write(JSON.stringify(out) + '\n')
await client.close()
process.exit(0)
