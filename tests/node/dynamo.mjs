#!/usr/bin/env node
// A small DynamoDB client for the integration tests, on the official AWS SDK
// for JavaScript v3 (tests/node/node_modules, installed by `scripts/setup.sh test`).
// It talks to a local engine (dynalite) the way the original design's Python
// functions talk to DynamoDB, so the tests can check logsvc against an
// independent implementation of the wire protocol.
//
//   node tests/node/dynamo.mjs create-table ENDPOINT TABLE
//       the original design's table (hash logId S, range timestamp N; GSI
//       TimestampIndex: hash type S, range timestamp N, projection ALL),
//       PAY_PER_REQUEST; waits until the table and its index are ACTIVE
//   node tests/node/dynamo.mjs delete-table ENDPOINT TABLE
//   node tests/node/dynamo.mjs describe-table ENDPOINT TABLE
//       {"exists":false} or {"exists":true,"status":...,"keySchema":...,"indexes":...}
//   node tests/node/dynamo.mjs put-original ENDPOINT TABLE JSON
//       writes an item exactly as the original Python ingest function does:
//       JSON {"severity","message"} (optional "logId", "timestamp" ms, "type"
//       to override the generated ones); logId uuid4, timestamp N (Unix ms),
//       datetime S (ISO 8601, ms, Z), severity S (lower case), message S,
//       type S "LOG". Prints the item written. JSON may be an array of such
//       objects: all are written, and printed as an array.
//   node tests/node/dynamo.mjs put-item ENDPOINT TABLE ITEM
//       writes ITEM, a DynamoDB-typed attribute map ({"logId":{"S":"..."},...}), as is
//   node tests/node/dynamo.mjs scan ENDPOINT TABLE [--typed]
//       every item of the table (all pages, strongly consistent), as a JSON array
//   node tests/node/dynamo.mjs get ENDPOINT TABLE LOGID [--typed]
//       every item whose hash key is LOGID (a Query: the range key is the
//       timestamp, so a duplicate write with another timestamp shows as a
//       second item), as a JSON array
//   node tests/node/dynamo.mjs query-index ENDPOINT TABLE TYPE [LIMIT] [--typed]
//       the TimestampIndex partition TYPE, newest first (as the original
//       ReadRecent function queries it), as a JSON array
//
// Items print as plain JSON values (S -> string, N -> number, BOOL, NULL, L, M,
// SS, NS); with --typed as the DynamoDB attribute maps themselves. Output is one
// JSON document on stdout; errors go to stderr with exit status 1 (2: usage).
// Region and credentials come from the usual AWS_* environment variables; with
// none set, us-east-1 and dummy keys are used (a local engine accepts any).

import { randomUUID } from "node:crypto";
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  ResourceNotFoundException,
  ScanCommand,
} from "@aws-sdk/client-dynamodb";

const INDEX_NAME = "TimestampIndex";

// The SDK warns on every run that Node.js 20 support ends in 2027: noise for the tests.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

function usage(message) {
  process.stderr.write(`dynamo.mjs: ${message}\n`);
  process.exit(2);
}

function client(endpoint) {
  return new DynamoDBClient({
    endpoint,
    region: process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || "us-east-1",
    credentials: {
      accessKeyId: process.env.AWS_ACCESS_KEY_ID || "dummy",
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY || "dummy",
      ...(process.env.AWS_SESSION_TOKEN ? { sessionToken: process.env.AWS_SESSION_TOKEN } : {}),
    },
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 3000, requestTimeout: 10000 },
  });
}

function plainValue(av) {
  if ("S" in av) return av.S;
  if ("N" in av) {
    const n = Number(av.N);
    return Number.isSafeInteger(n) || !/^-?\d+$/.test(av.N) ? n : av.N;
  }
  if ("BOOL" in av) return av.BOOL;
  if ("NULL" in av) return null;
  if ("L" in av) return av.L.map(plainValue);
  if ("M" in av) return plainItem(av.M);
  if ("SS" in av) return av.SS;
  if ("NS" in av) return av.NS.map(Number);
  if ("B" in av) return Buffer.from(av.B).toString("base64");
  throw new Error(`unsupported attribute value ${JSON.stringify(av)}`);
}

function plainItem(item) {
  return Object.fromEntries(Object.entries(item).map(([k, v]) => [k, plainValue(v)]));
}

function printItems(items, typed) {
  process.stdout.write(JSON.stringify(typed ? items : items.map(plainItem)) + "\n");
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function describe(db, table) {
  try {
    return (await db.send(new DescribeTableCommand({ TableName: table }))).Table;
  } catch (e) {
    if (e instanceof ResourceNotFoundException || e.name === "ResourceNotFoundException") {
      return null;
    }
    throw e;
  }
}

async function createTable(db, table) {
  await db.send(new CreateTableCommand({
    TableName: table,
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [
      { AttributeName: "logId", AttributeType: "S" },
      { AttributeName: "timestamp", AttributeType: "N" },
      { AttributeName: "type", AttributeType: "S" },
    ],
    KeySchema: [
      { AttributeName: "logId", KeyType: "HASH" },
      { AttributeName: "timestamp", KeyType: "RANGE" },
    ],
    GlobalSecondaryIndexes: [{
      IndexName: INDEX_NAME,
      KeySchema: [
        { AttributeName: "type", KeyType: "HASH" },
        { AttributeName: "timestamp", KeyType: "RANGE" },
      ],
      Projection: { ProjectionType: "ALL" },
    }],
  }));
  const deadline = Date.now() + 30000;
  for (;;) {
    const t = await describe(db, table);
    const indexes = t?.GlobalSecondaryIndexes || [];
    const indexesActive = indexes.every((i) => i.IndexStatus === "ACTIVE");
    if (t && t.TableStatus === "ACTIVE" && indexesActive) break;
    if (Date.now() > deadline) throw new Error(`table ${table} not ACTIVE within 30 s`);
    await sleep(50);
  }
  process.stdout.write(JSON.stringify({ created: table }) + "\n");
}

async function deleteTable(db, table) {
  await db.send(new DeleteTableCommand({ TableName: table }));
  const deadline = Date.now() + 30000;
  while (await describe(db, table)) {
    if (Date.now() > deadline) throw new Error(`table ${table} still there after 30 s`);
    await sleep(50);
  }
  process.stdout.write(JSON.stringify({ deleted: table }) + "\n");
}

async function describeTable(db, table) {
  const t = await describe(db, table);
  if (!t) {
    process.stdout.write(JSON.stringify({ exists: false }) + "\n");
    return;
  }
  process.stdout.write(JSON.stringify({
    exists: true,
    status: t.TableStatus,
    keySchema: t.KeySchema,
    attributeDefinitions: t.AttributeDefinitions,
    indexes: (t.GlobalSecondaryIndexes || []).map((i) => ({
      name: i.IndexName, keySchema: i.KeySchema, projection: i.Projection, status: i.IndexStatus,
    })),
    itemCount: t.ItemCount,
  }) + "\n");
}

// What the original ingest function puts: see the file comment. JSON may also
// be an array of such objects: they are written one after the other, and the
// items printed as an array.
async function putOriginal(db, table, json) {
  let parsed;
  try {
    parsed = JSON.parse(json);
  } catch (e) {
    usage(`put-original: JSON is not valid: ${e.message}`);
  }
  const bodies = Array.isArray(parsed) ? parsed : [parsed];
  const written = [];
  for (const body of bodies) {
    if (typeof body?.severity !== "string" || typeof body?.message !== "string") {
      usage("put-original: JSON needs string fields severity and message");
    }
    const timestamp = body.timestamp ?? Date.now();
    const item = {
      logId: { S: body.logId ?? randomUUID() },
      timestamp: { N: String(timestamp) },
      datetime: { S: new Date(timestamp).toISOString() },
      severity: { S: body.severity.toLowerCase() },
      message: { S: body.message },
      type: { S: body.type ?? "LOG" },
    };
    await db.send(new PutItemCommand({ TableName: table, Item: item }));
    written.push(plainItem(item));
  }
  process.stdout.write(JSON.stringify(Array.isArray(parsed) ? written : written[0]) + "\n");
}

async function putItem(db, table, json) {
  let item;
  try {
    item = JSON.parse(json);
  } catch (e) {
    usage(`put-item: ITEM is not valid JSON: ${e.message}`);
  }
  await db.send(new PutItemCommand({ TableName: table, Item: item }));
  process.stdout.write(JSON.stringify(plainItem(item)) + "\n");
}

async function scan(db, table, typed) {
  const items = [];
  let start;
  do {
    const page = await db.send(new ScanCommand({
      TableName: table, ConsistentRead: true, ExclusiveStartKey: start,
    }));
    items.push(...page.Items);
    start = page.LastEvaluatedKey;
  } while (start);
  printItems(items, typed);
}

async function get(db, table, logId, typed) {
  const items = [];
  let start;
  do {
    const page = await db.send(new QueryCommand({
      TableName: table,
      ConsistentRead: true,
      KeyConditionExpression: "logId = :id",
      ExpressionAttributeValues: { ":id": { S: logId } },
      ExclusiveStartKey: start,
    }));
    items.push(...page.Items);
    start = page.LastEvaluatedKey;
  } while (start);
  printItems(items, typed);
}

async function queryIndex(db, table, type, limit, typed) {
  const page = await db.send(new QueryCommand({
    TableName: table,
    IndexName: INDEX_NAME,
    KeyConditionExpression: "#t = :t",
    ExpressionAttributeNames: { "#t": "type" },
    ExpressionAttributeValues: { ":t": { S: type } },
    ScanIndexForward: false,
    Limit: limit,
  }));
  printItems(page.Items, typed);
}

async function main() {
  const argv = process.argv.slice(2);
  const typed = argv.includes("--typed");
  const [command, endpoint, table, ...rest] = argv.filter((a) => a !== "--typed");
  if (!command || !endpoint || !table) {
    usage("usage: dynamo.mjs create-table|delete-table|describe-table|put-original|put-item|"
          + "scan|get|query-index ENDPOINT TABLE [ARG...] [--typed]");
  }
  const db = client(endpoint);
  try {
    switch (command) {
      case "create-table": return await createTable(db, table);
      case "delete-table": return await deleteTable(db, table);
      case "describe-table": return await describeTable(db, table);
      case "put-original":
        if (rest.length !== 1) usage("usage: put-original ENDPOINT TABLE JSON");
        return await putOriginal(db, table, rest[0]);
      case "put-item":
        if (rest.length !== 1) usage("usage: put-item ENDPOINT TABLE ITEM");
        return await putItem(db, table, rest[0]);
      case "scan": return await scan(db, table, typed);
      case "get":
        if (rest.length !== 1) usage("usage: get ENDPOINT TABLE LOGID");
        return await get(db, table, rest[0], typed);
      case "query-index": {
        if (rest.length < 1 || rest.length > 2) {
          usage("usage: query-index ENDPOINT TABLE TYPE [LIMIT]");
        }
        const limit = rest[1] === undefined ? 100 : Number(rest[1]);
        if (!Number.isInteger(limit) || limit < 1) {
          usage("query-index: LIMIT must be a positive integer");
        }
        return await queryIndex(db, table, rest[0], limit, typed);
      }
      default:
        usage(`unknown command ${JSON.stringify(command)}`);
    }
  } finally {
    db.destroy();
  }
}

main().catch((e) => {
  process.stderr.write(`dynamo.mjs: ${e.name || "Error"}: ${e.message}\n`);
  process.exit(1);
});
