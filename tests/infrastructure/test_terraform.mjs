// Structural tests of the Terraform deployment in infrastructure/.
//
//   node --test tests/infrastructure/test_terraform.mjs
//
// Terraform itself is not needed: every .tf file is parsed with HashiCorp's
// HCL parser (@cdktf/hcl2json, from tests/node/node_modules, installed by
// scripts/setup.sh) and the resulting JSON is checked against the original
// design (table schema, function names, outputs) and the deployment's rules
// (least-privilege IAM with no "*" action or resource, alarms, validation),
// and every resource, data source, argument and nested block against the AWS
// provider's schema (aws_schema.mjs; the tests at the end of this file).
// Interpolations stay strings ("${var.x}"); the few names the checks need are
// resolved from variable defaults and locals by resolve() below.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { loadAwsSchema, jsiiName } from './aws_schema.mjs';

const require = createRequire(new URL('../node/package.json', import.meta.url));
const { parse } = require('@cdktf/hcl2json');

const INFRA = new URL('../../infrastructure/', import.meta.url);
const FUNCTIONS = ['ingest', 'read_recent'];
const TABLE = 'aws_dynamodb_table.logs';

// ---------------------------------------------------------------------------
// Loading: parse every .tf file, merge them as Terraform does (one module).
// ---------------------------------------------------------------------------

const NAMED = new Set(['resource', 'data']); // type -> name -> [body]
const KEYED = new Set(['variable', 'output', 'provider', 'module']); // name -> [body]
const LISTED = new Set(['locals', 'terraform']); // [body]

function mergeInto(config, file, json) {
  for (const [kind, body] of Object.entries(json)) {
    if (NAMED.has(kind)) {
      for (const [type, byName] of Object.entries(body)) {
        for (const [name, blocks] of Object.entries(byName)) {
          ((config[kind][type] ??= {})[name] ??= []).push(...blocks);
        }
      }
    } else if (KEYED.has(kind)) {
      for (const [name, blocks] of Object.entries(body)) {
        (config[kind][name] ??= []).push(...blocks);
      }
    } else if (LISTED.has(kind)) {
      config[kind].push(...body);
    } else {
      throw new Error(`${file}: unexpected top-level block "${kind}"`);
    }
  }
}

async function loadConfig() {
  const files = (await readdir(INFRA)).filter((f) => f.endsWith('.tf')).sort();
  const config = { files, texts: {}, resource: {}, data: {}, variable: {}, output: {}, provider: {}, module: {}, locals: [], terraform: [] };
  for (const file of files) {
    const text = await readFile(new URL(file, INFRA), 'utf8');
    config.texts[file] = text;
    mergeInto(config, file, await parse(file, text));
  }
  return config;
}

let loadError = null;
const cfg = await loadConfig().catch((e) => { loadError = e; return null; });
const tfvarsText = await readFile(new URL('terraform.tfvars.example', INFRA), 'utf8').catch(() => null);

function config() {
  if (loadError) throw new Error(`infrastructure/*.tf did not parse: ${loadError.message ?? loadError}`);
  return cfg;
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

// The body of a single block; fails unless exactly one is defined.
function only(blocks, what) {
  assert.ok(Array.isArray(blocks) && blocks.length > 0, `${what} is not defined`);
  assert.equal(blocks.length, 1, `${what} is defined ${blocks.length} times`);
  return blocks[0];
}

const resource = (type, name) => only(config().resource[type]?.[name], `resource ${type}.${name}`);
const dataSource = (type, name) => only(config().data[type]?.[name], `data ${type}.${name}`);
const variable = (name) => only(config().variable[name], `variable "${name}"`);
const output = (name) => only(config().output[name], `output "${name}"`);
const resourcesOf = (type) => Object.entries(config().resource[type] ?? {}).map(([name, blocks]) => [name, only(blocks, `${type}.${name}`)]);

// A nested block that must appear exactly once (hcl2json gives blocks as arrays).
function block(body, key, what) {
  return only(body[key], `${what}: block "${key}"`);
}

function locals() {
  return Object.assign({}, ...config().locals);
}

// Resolves a string such as "${local.name_prefix}-logs" to its value with the
// variables at their defaults. Only plain references are evaluated: var.X,
// local.X, and TYPE.NAME.ARG where ARG is an argument written in that block.
function resolve(value, depth = 0) {
  assert.ok(depth < 20, `reference loop resolving ${value}`);
  if (typeof value !== 'string') return value;
  return value.replace(/\$\{([^}]*)\}/g, (_, expr) => {
    const ref = expr.trim();
    const parts = ref.split('.');
    assert.ok(/^[a-z_][a-z0-9_.]*$/i.test(ref), `cannot resolve expression \${${ref}} (not a plain reference)`);
    let target;
    if (parts[0] === 'var' && parts.length === 2) {
      const v = variable(parts[1]);
      assert.ok('default' in v, `variable ${parts[1]} has no default`);
      target = v.default;
    } else if (parts[0] === 'local' && parts.length === 2) {
      const l = locals();
      assert.ok(parts[1] in l, `local.${parts[1]} is not defined`);
      target = l[parts[1]];
    } else if (parts.length === 3) {
      const body = resource(parts[0], parts[1]);
      assert.ok(parts[2] in body, `${ref}: argument not set in the configuration`);
      target = body[parts[2]];
    } else {
      assert.fail(`cannot resolve \${${ref}}`);
    }
    return String(resolve(target, depth + 1));
  });
}

// Every string anywhere in a parsed value.
function* strings(value) {
  if (typeof value === 'string') yield value;
  else if (Array.isArray(value)) for (const v of value) yield* strings(v);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) yield* strings(v);
}

// The policy document a role's single inline policy uses, by data source name.
function inlinePolicyDocument(fn) {
  const attached = resourcesOf('aws_iam_role_policy').filter(([, body]) =>
    [`\${aws_iam_role.${fn}.id}`, `\${aws_iam_role.${fn}.name}`].includes(body.role));
  assert.equal(attached.length, 1, `role ${fn}: expected exactly one aws_iam_role_policy, found ${attached.length}`);
  const [policyName, policy] = attached[0];
  assert.equal(policyName, fn, `the inline policy of role ${fn} should be aws_iam_role_policy.${fn}`);
  const m = /^\$\{data\.aws_iam_policy_document\.([a-z0-9_]+)\.json\}$/.exec(policy.policy);
  assert.ok(m, `aws_iam_role_policy.${fn}.policy must be a data.aws_iam_policy_document's json (checked here), got ${policy.policy}`);
  return m[1];
}

// "action on resource" for every pair a policy document allows, sorted.
function grants(docName) {
  const out = [];
  for (const st of dataSource('aws_iam_policy_document', docName).statement ?? []) {
    for (const a of st.actions ?? []) for (const r of st.resources ?? []) out.push(`${a} on ${r}`);
  }
  return out.sort();
}

// Variables that a condition like contains(["a", "b"], var.x) accepts.
function allowedValues(name) {
  const v = variable(name);
  const validation = only(v.validation, `variable ${name}: validation`);
  const m = new RegExp(`^\\$\\{contains\\((\\[[^\\]]*\\]),\\s*var\\.${name}\\)\\}$`).exec(validation.condition);
  assert.ok(m, `variable ${name}: validation should be contains([...], var.${name}), got ${validation.condition}`);
  assert.ok(validation.error_message, `variable ${name}: validation has no error_message`);
  return JSON.parse(m[1]).sort();
}

// ---------------------------------------------------------------------------
// Files and syntax
// ---------------------------------------------------------------------------

test('every .tf file in infrastructure/ parses, and the expected ones exist', () => {
  const { files } = config();
  for (const f of ['main.tf', 'variables.tf', 'outputs.tf']) assert.ok(files.includes(f), `infrastructure/${f} is missing`);
  for (const kind of ['resource', 'data']) {
    for (const [type, byName] of Object.entries(config()[kind])) {
      for (const [name, blocks] of Object.entries(byName)) {
        assert.equal(blocks.length, 1, `${kind} ${type}.${name} is defined ${blocks.length} times`);
      }
    }
  }
  for (const [name, blocks] of Object.entries(config().variable)) assert.equal(blocks.length, 1, `variable ${name} defined twice`);
  for (const [name, blocks] of Object.entries(config().output)) assert.equal(blocks.length, 1, `output ${name} defined twice`);
  const localNames = config().locals.flatMap(Object.keys);
  assert.equal(new Set(localNames).size, localNames.length, 'a local value is defined twice');
});

test('terraform.tfvars.example parses, sets the original three, mentions every variable', async () => {
  assert.ok(tfvarsText !== null, 'infrastructure/terraform.tfvars.example is missing');
  const values = await parse('terraform.tfvars.example', tfvarsText);
  assert.deepEqual(values, { aws_region: 'us-east-1', environment: 'production', project_name: 'log-service' },
    'terraform.tfvars.example sets exactly the original three, to the defaults');
  const commented = [...tfvarsText.matchAll(/^#\s*([a-z_][a-z0-9_]*)\s*=/gm)].map((m) => m[1]);
  const mentioned = new Set([...Object.keys(values), ...commented]);
  const declared = Object.keys(config().variable);
  for (const name of mentioned) assert.ok(declared.includes(name), `terraform.tfvars.example sets undeclared variable ${name}`);
  for (const name of declared) assert.ok(mentioned.has(name), `terraform.tfvars.example does not mention variable ${name}`);
});

test('terraform >= 1.6.0, the AWS provider pinned, region and default tags from variables', () => {
  const tf = only(config().terraform, 'terraform block');
  assert.equal(tf.required_version, '>= 1.6.0', 'terraform required_version');
  const aws = only(tf.required_providers, 'required_providers').aws;
  assert.ok(aws, 'required_providers has no aws');
  assert.equal(aws.source, 'hashicorp/aws');
  // Which releases it must admit: the schema tests at the end of this file.
  assert.match(aws.version ?? '', /^~> 6\.\d+$/, 'aws provider version constraint: "~> 6.Y"');
  const provider = only(config().provider.aws, 'provider "aws"');
  assert.equal(provider.region, '${var.aws_region}');
  const tags = block(provider, 'default_tags', 'provider aws').tags;
  assert.equal(tags.Project, '${var.project_name}');
  assert.equal(tags.Environment, '${var.environment}');
});

test('variables: the original three with their defaults; every variable declared, typed, described and used', () => {
  assert.equal(variable('aws_region').default, 'us-east-1');
  assert.equal(variable('environment').default, 'production');
  assert.equal(variable('project_name').default, 'log-service');
  const used = new Set();
  for (const text of Object.values(config().texts)) {
    for (const m of text.matchAll(/\bvar\.([a-z_][a-z0-9_]*)/g)) used.add(m[1]);
  }
  for (const name of used) assert.ok(config().variable[name], `var.${name} is used but not declared`);
  for (const [name, blocks] of Object.entries(config().variable)) {
    assert.ok(used.has(name), `variable ${name} is declared but never used`);
    assert.ok(blocks[0].type, `variable ${name} has no type`);
    assert.ok(blocks[0].description, `variable ${name} has no description`);
  }
});

test('variables architecture and function_url_auth_type are validated', () => {
  assert.equal(variable('architecture').default, 'x86_64');
  assert.deepEqual(allowedValues('architecture'), ['arm64', 'x86_64'], 'architecture accepts exactly arm64 and x86_64');
  assert.equal(variable('function_url_auth_type').default, 'NONE');
  assert.deepEqual(allowedValues('function_url_auth_type'), ['AWS_IAM', 'NONE'], 'function_url_auth_type accepts exactly AWS_IAM and NONE');
});

// ---------------------------------------------------------------------------
// DynamoDB
// ---------------------------------------------------------------------------

test('DynamoDB table: the original schema, name and GSI', () => {
  const tables = resourcesOf('aws_dynamodb_table');
  assert.deepEqual(tables.map(([n]) => n), ['logs'], 'expected exactly one table, aws_dynamodb_table.logs');
  const t = resource('aws_dynamodb_table', 'logs');
  assert.equal(resolve(t.name), 'log-service-production-logs', 'table name with the default variables');
  assert.equal(t.hash_key, 'logId', 'table hash_key');
  assert.equal(t.range_key, 'timestamp', 'table range_key');
  const attributes = Object.fromEntries((t.attribute ?? []).map((a) => [a.name, a.type]));
  assert.equal((t.attribute ?? []).length, Object.keys(attributes).length, 'an attribute is declared twice');
  assert.deepEqual(attributes, { logId: 'S', timestamp: 'N', type: 'S' }, 'key attributes: exactly logId S, timestamp N, type S');
  const gsi = only(t.global_secondary_index, 'aws_dynamodb_table.logs: global_secondary_index');
  assert.equal(gsi.name, 'TimestampIndex', 'GSI name');
  assert.equal(gsi.hash_key, 'type', 'GSI hash_key');
  assert.equal(gsi.range_key, 'timestamp', 'GSI range_key');
  assert.equal(gsi.projection_type, 'ALL', 'GSI projection_type');
  assert.equal(t.local_secondary_index, undefined, 'no local secondary index in the original');
});

test('DynamoDB table: on demand, encrypted, PITR from a variable, TTL for retention', () => {
  const t = resource('aws_dynamodb_table', 'logs');
  assert.equal(t.billing_mode, 'PAY_PER_REQUEST', 'billing_mode');
  assert.equal(t.read_capacity, undefined, 'PAY_PER_REQUEST takes no read_capacity');
  assert.equal(t.write_capacity, undefined, 'PAY_PER_REQUEST takes no write_capacity');
  assert.equal(block(t, 'server_side_encryption', 'table').enabled, true, 'server_side_encryption.enabled');
  assert.equal(block(t, 'point_in_time_recovery', 'table').enabled, '${var.enable_point_in_time_recovery}', 'point_in_time_recovery.enabled');
  assert.equal(variable('enable_point_in_time_recovery').type, '${bool}', 'enable_point_in_time_recovery type');
  assert.equal(variable('enable_point_in_time_recovery').default, true, 'enable_point_in_time_recovery default');
  const ttl = block(t, 'ttl', 'table');
  assert.equal(ttl.enabled, true, 'ttl.enabled');
  assert.equal(ttl.attribute_name, '${var.ttl_attribute_name}', 'ttl.attribute_name');
  assert.equal(variable('ttl_attribute_name').default, 'expiresAt', 'ttl_attribute_name default');
  assert.match(variable('ttl_attribute_name').description, /epoch seconds/i);
});

// ---------------------------------------------------------------------------
// Lambda functions, log groups, URLs
// ---------------------------------------------------------------------------

const EXPECTED_FUNCTION = {
  ingest: { name: 'log-service-production-ingest', handler: 'ingest', methods: ['POST'] },
  read_recent: { name: 'log-service-production-read-recent', handler: 'read_recent', methods: ['GET'] },
};

test('two Lambda functions: provided.al2023, one zip, their handlers and names', () => {
  assert.deepEqual(resourcesOf('aws_lambda_function').map(([n]) => n).sort(), FUNCTIONS);
  assert.equal(variable('lambda_zip_path').default, '../dist/logsvc-lambda.zip');
  for (const fn of FUNCTIONS) {
    const f = resource('aws_lambda_function', fn);
    const want = EXPECTED_FUNCTION[fn];
    assert.equal(resolve(f.function_name), want.name, `${fn}: function_name`);
    assert.equal(f.runtime, 'provided.al2023', `${fn}: runtime`);
    assert.equal(f.handler, want.handler, `${fn}: handler`);
    assert.equal(f.filename, '${var.lambda_zip_path}', `${fn}: filename`);
    assert.equal(f.source_code_hash, '${filebase64sha256(var.lambda_zip_path)}', `${fn}: source_code_hash`);
    assert.deepEqual(f.architectures, ['${var.architecture}'], `${fn}: architectures`);
    assert.equal(f.package_type ?? 'Zip', 'Zip', `${fn}: package_type`);
    assert.equal(f.role, `\${aws_iam_role.${fn}.arn}`, `${fn}: must run as its own role`);
  }
});

test('Lambda functions: sizing and concurrency from variables with the documented defaults', () => {
  for (const fn of FUNCTIONS) {
    const f = resource('aws_lambda_function', fn);
    assert.equal(f.memory_size, '${var.lambda_memory_size}', `${fn}: memory_size`);
    assert.equal(f.timeout, '${var.lambda_timeout}', `${fn}: timeout`);
    assert.equal(f.reserved_concurrent_executions, '${var.lambda_reserved_concurrency}', `${fn}: reserved_concurrent_executions`);
  }
  assert.equal(variable('lambda_memory_size').default, 128, 'lambda_memory_size default');
  assert.equal(variable('lambda_timeout').default, 10, 'lambda_timeout default');
  assert.equal(variable('lambda_reserved_concurrency').default, -1, 'lambda_reserved_concurrency default (-1: unreserved)');
  assert.equal(variable('dynamodb_index_shards').default, 1, 'dynamodb_index_shards default');
});

test('Lambda functions: environment names the table, the index shards and the API keys', () => {
  for (const fn of FUNCTIONS) {
    const env = block(resource('aws_lambda_function', fn), 'environment', fn).variables;
    assert.deepEqual(env, {
      DYNAMODB_TABLE_NAME: `\${${TABLE}.name}`,
      LOGSVC_DYNAMODB_INDEX_SHARDS: '${var.dynamodb_index_shards}',
      LOGSVC_AUTH_KEY_HASHES: '${var.auth_key_hashes}',
      LOGSVC_RETENTION_DAYS: '${var.retention_days}',
    }, `${fn}: environment variables`);
  }
  // Hashes only, but which keys exist is not for plans and logs to show.
  assert.equal(variable('auth_key_hashes').sensitive, true, 'auth_key_hashes must be sensitive');
  assert.equal(variable('auth_key_hashes').default, '', 'auth_key_hashes default: no keys, open');
  assert.equal(variable('retention_days').default, 0, 'retention_days default: kept forever');
});

test('log groups: /aws/lambda/<function>, retention from a variable, created before the function', () => {
  assert.deepEqual(resourcesOf('aws_cloudwatch_log_group').map(([n]) => n).sort(), FUNCTIONS);
  assert.equal(variable('log_retention_days').default, 14);
  for (const fn of FUNCTIONS) {
    const group = resource('aws_cloudwatch_log_group', fn);
    assert.equal(resolve(group.name), `/aws/lambda/${EXPECTED_FUNCTION[fn].name}`, `${fn}: log group name`);
    assert.equal(group.retention_in_days, '${var.log_retention_days}', `${fn}: retention`);
    const dependsOn = resource('aws_lambda_function', fn).depends_on ?? [];
    assert.ok(dependsOn.includes(`\${aws_cloudwatch_log_group.${fn}}`), `${fn}: depends_on must include its log group`);
    assert.ok(dependsOn.includes(`\${aws_iam_role_policy.${fn}}`), `${fn}: depends_on must include its role policy`);
  }
});

test('function URLs: one per function, auth type from the variable, CORS', () => {
  assert.deepEqual(resourcesOf('aws_lambda_function_url').map(([n]) => n).sort(), FUNCTIONS);
  for (const fn of FUNCTIONS) {
    const url = resource('aws_lambda_function_url', fn);
    assert.equal(url.function_name, `\${aws_lambda_function.${fn}.function_name}`, `${fn}: URL of the wrong function`);
    assert.equal(url.authorization_type, '${var.function_url_auth_type}', `${fn}: authorization_type`);
    assert.equal(url.qualifier, undefined, `${fn}: URL on the unqualified function`);
    const cors = block(url, 'cors', `aws_lambda_function_url.${fn}`);
    assert.deepEqual(cors.allow_origins, ['*'], `${fn}: allow_origins`);
    assert.deepEqual(cors.allow_methods, EXPECTED_FUNCTION[fn].methods, `${fn}: allow_methods`);
    const headers = (cors.allow_headers ?? []).map((h) => h.toLowerCase());
    for (const h of ['content-type', 'authorization', 'x-api-key']) assert.ok(headers.includes(h), `${fn}: allow_headers lacks ${h}`);
    assert.equal(cors.max_age, 86400, `${fn}: max_age`);
  }
});

test('function URLs of type NONE: both public statements, limited to URL calls, only when NONE', () => {
  const onlyWhenNone = '${var.function_url_auth_type == "NONE" ? 1 : 0}';
  const permissions = resourcesOf('aws_lambda_permission');
  for (const fn of FUNCTIONS) {
    const mine = permissions.filter(([, p]) => p.function_name === `\${aws_lambda_function.${fn}.function_name}`).map(([, p]) => p);
    assert.equal(mine.length, 2, `${fn}: expected 2 aws_lambda_permission, found ${mine.length}`);
    const url = mine.find((p) => p.action === 'lambda:InvokeFunctionUrl');
    const invoke = mine.find((p) => p.action === 'lambda:InvokeFunction');
    assert.ok(url && invoke, `${fn}: need one lambda:InvokeFunctionUrl and one lambda:InvokeFunction permission`);
    assert.equal(url.principal, '*');
    assert.equal(url.function_url_auth_type, 'NONE', `${fn}: InvokeFunctionUrl must be limited to URLs of type NONE`);
    assert.equal(invoke.principal, '*');
    // Without this, "*" could call the Invoke API directly.
    assert.equal(invoke.invoked_via_function_url, true, `${fn}: public InvokeFunction must be limited to calls via the URL`);
    for (const p of mine) {
      assert.equal(p.count, onlyWhenNone, `${fn}: ${p.action} must exist only when function_url_auth_type is NONE`);
      assert.equal(p.qualifier, undefined);
      assert.notEqual(p.statement_id, undefined, `${fn}: ${p.action} needs a fixed statement_id`);
      assert.ok(!p.statement_id.startsWith('FunctionURLAllow'), `${fn}: statement_id ${p.statement_id} may collide with the one the provider adds`);
    }
  }
  assert.equal(permissions.length, 4, 'unexpected extra aws_lambda_permission');
});

// ---------------------------------------------------------------------------
// IAM
// ---------------------------------------------------------------------------

test('IAM: one role per function, assumable by Lambda only, no managed or extra policies', () => {
  assert.deepEqual(resourcesOf('aws_iam_role').map(([n]) => n).sort(), FUNCTIONS);
  for (const type of ['aws_iam_role_policy_attachment', 'aws_iam_policy_attachment', 'aws_iam_policy', 'aws_iam_role_policies_exclusive', 'aws_iam_role_policy_attachments_exclusive']) {
    assert.equal(config().resource[type], undefined, `unexpected ${type}: roles get only their inline policy`);
  }
  assert.deepEqual(resourcesOf('aws_iam_role_policy').map(([n]) => n).sort(), FUNCTIONS);
  for (const fn of FUNCTIONS) {
    const role = resource('aws_iam_role', fn);
    assert.equal(role.managed_policy_arns, undefined, `role ${fn}: no managed policies`);
    assert.equal(role.inline_policy, undefined, `role ${fn}: policy goes in aws_iam_role_policy.${fn}`);
    const m = /^\$\{data\.aws_iam_policy_document\.([a-z0-9_]+)\.json\}$/.exec(role.assume_role_policy);
    assert.ok(m, `role ${fn}: assume_role_policy must be a data.aws_iam_policy_document's json`);
    const statements = dataSource('aws_iam_policy_document', m[1]).statement;
    assert.equal(statements.length, 1, `role ${fn}: one trust statement`);
    const [st] = statements;
    assert.equal(st.effect ?? 'Allow', 'Allow');
    assert.deepEqual(st.actions, ['sts:AssumeRole']);
    const principals = only(st.principals, `role ${fn}: trust principals`);
    assert.equal(principals.type, 'Service');
    assert.deepEqual(principals.identifiers, ['lambda.amazonaws.com']);
  }
});

test('IAM: no "*" in any action or resource, no Deny/Not* tricks (log streams of the own group excepted)', () => {
  const docs = Object.entries(config().data.aws_iam_policy_document ?? {});
  assert.ok(docs.length >= 3, 'expected the trust document and one document per function');
  for (const [name, blocks] of docs) {
    for (const st of blocks[0].statement ?? []) {
      const where = `aws_iam_policy_document.${name} statement ${st.sid ?? '(no sid)'}`;
      assert.equal(st.effect ?? 'Allow', 'Allow', `${where}: only Allow statements`);
      // A condition only narrows a grant: the one there is, on the ingest
      // function's Query, is checked by the ingest test below.
      const narrowed = name === 'ingest' && st.sid === 'ReadIdempotencyRecords';
      for (const key of ['not_actions', 'not_resources', 'not_principals', 'condition']) {
        if (key === 'condition' && narrowed) continue;
        assert.equal(st[key], undefined, `${where}: ${key} is not used here`);
      }
      for (const action of st.actions ?? []) assert.ok(!action.includes('*'), `${where}: wildcard action ${action}`);
      for (const r of st.resources ?? []) {
        assert.notEqual(r, '*', `${where}: resource "*"`);
        if (!r.includes('*')) continue;
        // Lambda names streams at run time: the one allowed wildcard is the
        // streams of the function's own log group, for writing logs only.
        assert.ok(FUNCTIONS.some((fn) => r === `\${aws_cloudwatch_log_group.${fn}.arn}:*` && name === fn),
          `${where}: wildcard resource ${r} (only the own log group's "<arn>:*" is allowed)`);
        for (const action of st.actions) {
          assert.ok(['logs:CreateLogStream', 'logs:PutLogEvents'].includes(action), `${where}: ${action} on log streams`);
        }
      }
    }
  }
  for (const text of Object.values(config().texts)) {
    assert.ok(!/jsonencode\s*\(\s*\{[^]*Statement/.test(text), 'a policy is built with jsonencode(); use aws_iam_policy_document so this test can check it');
  }
});

test('IAM: ingest may BatchWriteItem, PutItem and Query on the table, and write its own log streams; nothing else', () => {
  const doc = inlinePolicyDocument('ingest');
  assert.equal(doc, 'ingest', 'the ingest role must use data.aws_iam_policy_document.ingest');
  assert.deepEqual(grants(doc), [
    `dynamodb:BatchWriteItem on \${${TABLE}.arn}`,
    `dynamodb:PutItem on \${${TABLE}.arn}`,
    `dynamodb:Query on \${${TABLE}.arn}`,
    'logs:CreateLogStream on ${aws_cloudwatch_log_group.ingest.arn}:*',
    'logs:PutLogEvents on ${aws_cloudwatch_log_group.ingest.arn}:*',
  ], 'ingest policy: exactly these (action on resource) grants');
  // Its Query reads Idempotency-Key records only (logId "once#..."), never entries.
  const query = (dataSource('aws_iam_policy_document', 'ingest').statement ?? [])
    .filter((st) => (st.actions ?? []).includes('dynamodb:Query'));
  assert.equal(query.length, 1, 'one statement grants the ingest function Query');
  assert.deepEqual(query[0].actions, ['dynamodb:Query'], 'Query in a statement of its own');
  const condition = only(query[0].condition, 'ingest Query: its condition');
  assert.deepEqual([condition.test, condition.variable, condition.values],
    ['ForAllValues:StringLike', 'dynamodb:LeadingKeys', ['once#*']]);
});

test('IAM: read_recent may Query the table and TimestampIndex, write its own log streams; nothing else', () => {
  const doc = inlinePolicyDocument('read_recent');
  assert.equal(doc, 'read_recent', 'the read_recent role must use data.aws_iam_policy_document.read_recent');
  assert.deepEqual(grants(doc), [
    `dynamodb:Query on \${${TABLE}.arn}`,
    `dynamodb:Query on \${${TABLE}.arn}/index/TimestampIndex`,
    'logs:CreateLogStream on ${aws_cloudwatch_log_group.read_recent.arn}:*',
    'logs:PutLogEvents on ${aws_cloudwatch_log_group.read_recent.arn}:*',
  ], 'read_recent policy: exactly these (action on resource) grants');
  // The index ARN names the index the table really has.
  assert.equal(only(resource('aws_dynamodb_table', 'logs').global_secondary_index, 'gsi').name, 'TimestampIndex');
});

// ---------------------------------------------------------------------------
// Alarms
// ---------------------------------------------------------------------------

test('alarms: Lambda Errors for each function, Sum over 5 minutes, to the SNS topics', () => {
  const alarms = resourcesOf('aws_cloudwatch_metric_alarm').map(([, a]) => a);
  assert.deepEqual(variable('alarm_sns_topic_arns').default, []);
  assert.equal(variable('alarm_sns_topic_arns').type, '${list(string)}');
  assert.equal(variable('lambda_errors_alarm_threshold').default, 0);
  for (const fn of FUNCTIONS) {
    const mine = alarms.filter((a) => a.namespace === 'AWS/Lambda' && a.metric_name === 'Errors' &&
      a.dimensions?.FunctionName === `\${aws_lambda_function.${fn}.function_name}`);
    assert.equal(mine.length, 1, `${fn}: expected one AWS/Lambda Errors alarm on FunctionName, found ${mine.length}`);
    const [a] = mine;
    assert.deepEqual(Object.keys(a.dimensions), ['FunctionName']);
    assert.equal(a.statistic, 'Sum', `${fn} Errors alarm: statistic`);
    assert.equal(a.period, 300, `${fn} Errors alarm: period`);
    assert.equal(a.evaluation_periods, 1, `${fn} Errors alarm: evaluation_periods`);
    assert.equal(a.comparison_operator, 'GreaterThanThreshold', `${fn} Errors alarm: comparison_operator`);
    assert.equal(a.threshold, '${var.lambda_errors_alarm_threshold}', `${fn} Errors alarm: threshold`);
    assert.equal(a.alarm_actions, '${var.alarm_sns_topic_arns}', `${fn} Errors alarm: alarm_actions`);
    assert.ok(a.alarm_name, `${fn}: alarm_name`);
  }
});

test('alarms: DynamoDB throttling of the table, for each operation the functions use', () => {
  const alarms = resourcesOf('aws_cloudwatch_metric_alarm').map(([, a]) => a)
    .filter((a) => a.namespace === 'AWS/DynamoDB');
  const throttled = alarms.filter((a) => a.metric_name === 'ThrottledRequests');
  assert.deepEqual(throttled.map((a) => a.dimensions?.Operation).sort(), ['PutItem', 'Query'],
    'expected one ThrottledRequests alarm per operation: PutItem (ingest) and Query (read_recent)');
  assert.equal(variable('dynamodb_throttle_alarm_threshold').default, 0);
  for (const a of throttled) {
    const where = `${a.dimensions.Operation} throttle alarm`;
    assert.equal(a.dimensions.TableName, `\${${TABLE}.name}`, `${where}: TableName`);
    assert.equal(a.statistic, 'Sum', `${where}: statistic`);
    assert.equal(a.period, 300, `${where}: period`);
    assert.equal(a.comparison_operator, 'GreaterThanThreshold', `${where}: comparison_operator`);
    assert.equal(a.threshold, '${var.dynamodb_throttle_alarm_threshold}', `${where}: threshold`);
    assert.equal(a.alarm_actions, '${var.alarm_sns_topic_arns}', `${where}: alarm_actions`);
  }
  const names = resourcesOf('aws_cloudwatch_metric_alarm').map(([, a]) => resolve(a.alarm_name));
  assert.equal(new Set(names).size, names.length, `alarm names collide: ${names}`);
});

// ---------------------------------------------------------------------------
// Outputs
// ---------------------------------------------------------------------------

test('outputs: the original three names', () => {
  assert.equal(output('dynamodb_table_name').value, `\${${TABLE}.name}`, 'output dynamodb_table_name');
  assert.equal(resolve(output('dynamodb_table_name').value), 'log-service-production-logs', 'dynamodb_table_name with the default variables');
  assert.equal(output('ingest_lambda_url').value, '${aws_lambda_function_url.ingest.function_url}', 'output ingest_lambda_url');
  assert.equal(output('read_recent_lambda_url').value, '${aws_lambda_function_url.read_recent.function_url}', 'output read_recent_lambda_url');
  for (const fn of FUNCTIONS) {
    assert.equal(output(`${fn}_function_name`).value, `\${aws_lambda_function.${fn}.function_name}`);
  }
});

// ---------------------------------------------------------------------------
// The AWS provider's schema. hcl2json knows none, so a misspelt argument would
// parse; these tests check every resource, data source, argument and nested
// block against hashicorp/aws's own schema, read from the jsii assembly of
// @cdktf/provider-aws by aws_schema.mjs (Terraform and its provider registry
// are not needed).
// ---------------------------------------------------------------------------

// The provider release that assembly describes (@cdktf/provider-aws 21.22.1,
// pinned in tests/node/package.json). A new package means revisiting NEWER.
const SCHEMA_VERSION = '6.25.0';

// Arguments used here that hashicorp/aws added after SCHEMA_VERSION, as
// "<resource|data>.<type>[.<block>...].<argument>", each with the release
// that added it, from the provider's CHANGELOG.md. The version constraint must
// admit no release older than any of them.
const NEWER = {
  // "## 6.28.0 (January 7, 2026)": "resource/aws_lambda_permission: Add
  // `invoked_via_function_url` argument" (hashicorp/terraform-provider-aws#44858).
  'resource.aws_lambda_permission.invoked_via_function_url': '6.28.0',
};

// Terraform's own meta-arguments, allowed at the top of a block only.
const META = {
  resource: ['count', 'for_each', 'depends_on', 'lifecycle', 'provider'],
  data: ['count', 'for_each', 'depends_on', 'lifecycle', 'provider'],
  provider: ['alias'],
};

let schemaError = null;
const awsSchemaLoaded = (() => {
  try {
    return loadAwsSchema();
  } catch (e) {
    schemaError = e;
    return null;
  }
})();

function awsSchema() {
  if (schemaError) throw new Error(`the AWS provider schema did not load (scripts/setup.sh test installs it): ${schemaError.message}`);
  return awsSchemaLoaded;
}

// "6.28" or "6.28.0" -> [6, 28, 0].
function version(text) {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?$/.exec(text);
  assert.ok(m, `"${text}" is not a version X.Y or X.Y.Z`);
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}
const compareVersions = (a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
const show = (v) => v.join('.');

// The releases a Terraform version constraint admits, as { low, high }: the
// lowest one, and the first release above all of them (null: no bound).
// Reads comma-separated ~>, >=, >, =, <=, < clauses (pre-releases ignored).
function admittedRange(constraint) {
  let low = [0, 0, 0];
  let high = null;
  const atLeast = (v) => {
    if (compareVersions(v, low) > 0) low = v;
  };
  const below = (v) => {
    if (!high || compareVersions(v, high) < 0) high = v;
  };
  for (const clause of constraint.split(',')) {
    const m = /^\s*(~>|>=|<=|>|<|=)?\s*([0-9.]+)\s*$/.exec(clause);
    assert.ok(m, `version constraint "${constraint}": cannot read "${clause.trim()}"`);
    const [, op = '=', text] = m;
    const v = version(text);
    const next = [v[0], v[1], v[2] + 1];
    // ~> 6.28 admits 6.28.0 up to 7.0.0; ~> 6.28.1 admits 6.28.1 up to 6.29.0.
    const pessimisticBound = text.split('.').length === 3 ? [v[0], v[1] + 1, 0] : [v[0] + 1, 0, 0];
    if (['~>', '>=', '='].includes(op)) atLeast(v);
    if (op === '>') atLeast(next);
    if (op === '~>') below(pessimisticBound);
    if (op === '=' || op === '<=') below(next);
    if (op === '<') below(v);
  }
  return { low, high };
}

function awsConstraint() {
  const tf = only(config().terraform, 'terraform block');
  const aws = only(tf.required_providers, 'required_providers').aws;
  assert.ok(aws?.version, 'required_providers.aws has no version constraint');
  return aws.version;
}

// The known name nearest to a misspelt one, if it is close (edit distance <= 3).
function nearest(name, known) {
  const distance = (a, b) => {
    let row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      const next = [i];
      for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      row = next;
    }
    return row[b.length];
  };
  const [best] = known.map((k) => [distance(name, k), k]).sort((x, y) => x[0] - y[0]);
  return best && best[0] <= 3 ? ` (did you mean "${best[1]}"?)` : '';
}

// Checks one block's body against its schema: every key is an argument or
// nested block of the schema (or one of `meta`, or listed in NEWER), every
// required one is present, nested blocks likewise. `where` names the block in
// messages (aws_lambda_permission.ingest_public_invoke.x), `path` in NEWER
// (resource.aws_lambda_permission.x). Problems are appended to `problems`, NEWER
// entries met are added to `newerUsed`.
function checkBody(body, schema, { where, path, meta, problems, newerUsed }) {
  for (const [key, value] of Object.entries(body)) {
    if (meta.includes(key)) continue;
    const block = schema.blocks[key];
    if (block) {
      // hcl2json gives blocks as arrays of bodies; `x = { ... }` as one object.
      // Anything else is an expression ("${...}") that only Terraform can check.
      for (const nested of Array.isArray(value) ? value : [value]) {
        if (nested && typeof nested === 'object' && !Array.isArray(nested)) {
          checkBody(nested, block.schema, { where: `${where}.${key}`, path: `${path}.${key}`, meta: [], problems, newerUsed });
        }
      }
    } else if (!schema.arguments[key]) {
      if (`${path}.${key}` in NEWER) newerUsed.add(`${path}.${key}`);
      else {
        const known = [...Object.keys(schema.arguments), ...Object.keys(schema.blocks)];
        problems.push(`${where}: "${key}" is no argument or block of hashicorp/aws ${SCHEMA_VERSION} here${nearest(key, known)}`);
      }
    }
  }
  for (const [name, entry] of [...Object.entries(schema.arguments), ...Object.entries(schema.blocks)]) {
    if (entry.required && !(name in body)) {
      problems.push(`${where}: required ${name in schema.blocks ? 'block' : 'argument'} "${name}" is missing`);
    }
  }
}

const schemaOfType = (kind, type) => (kind === 'resource' ? awsSchema().resource(type) : awsSchema().dataSource(type));

test(`the provider schema read is hashicorp/aws ${SCHEMA_VERSION}; NEWER holds only arguments it lacks, from later releases`, () => {
  assert.equal(awsSchema().providerVersion, SCHEMA_VERSION,
    `${awsSchema().file} describes hashicorp/aws ${awsSchema().providerVersion}; NEWER is relative to ${SCHEMA_VERSION}: revisit NEWER, then SCHEMA_VERSION`);
  for (const [path, added] of Object.entries(NEWER)) {
    assert.ok(compareVersions(version(added), version(SCHEMA_VERSION)) > 0, `NEWER ${path}: ${added} is not after ${SCHEMA_VERSION}`);
    const [kind, type, ...names] = path.split('.');
    let schema = schemaOfType(kind, type);
    assert.ok(schema, `NEWER ${path}: hashicorp/aws ${SCHEMA_VERSION} has no ${kind} ${type}`);
    for (const name of names.slice(0, -1)) {
      schema = schema.blocks[name]?.schema;
      assert.ok(schema, `NEWER ${path}: no block "${name}" in hashicorp/aws ${SCHEMA_VERSION}`);
    }
    const argument = names.at(-1);
    assert.ok(!(argument in schema.arguments) && !(argument in schema.blocks),
      `NEWER ${path}: hashicorp/aws ${SCHEMA_VERSION} has it already; remove it from NEWER`);
  }
});

test(`every resource, data source, argument and nested block is one of hashicorp/aws ${SCHEMA_VERSION} (or NEWER), with every required one`, () => {
  const problems = [];
  const newerUsed = new Set();
  for (const kind of ['resource', 'data']) {
    for (const [type, byName] of Object.entries(config()[kind])) {
      const schema = schemaOfType(kind, type);
      if (!schema) {
        problems.push(`${kind} "${type}": hashicorp/aws ${SCHEMA_VERSION} has no such ${kind === 'data' ? 'data source' : 'resource type'}`);
        continue;
      }
      for (const [name, blocks] of Object.entries(byName)) {
        for (const body of blocks) {
          checkBody(body, schema, { where: `${kind === 'data' ? 'data.' : ''}${type}.${name}`, path: `${kind}.${type}`, meta: META[kind], problems, newerUsed });
        }
      }
    }
  }
  for (const [name, blocks] of Object.entries(config().provider)) {
    if (name !== 'aws') problems.push(`provider "${name}": only the AWS provider is checked here`);
    else for (const body of blocks) checkBody(body, awsSchema().provider(), { where: 'provider.aws', path: 'provider', meta: META.provider, problems, newerUsed });
  }
  assert.ok(problems.length === 0, `infrastructure/*.tf against the AWS provider's schema:\n  ${problems.join('\n  ')}`);
  const unused = Object.keys(NEWER).filter((path) => !newerUsed.has(path));
  assert.deepEqual(unused, [], 'NEWER lists arguments no .tf file uses: remove them');
});

test('the AWS provider constraint admits only releases that have every argument used, within one major version', () => {
  const constraint = awsConstraint();
  const { low, high } = admittedRange(constraint);
  const needed = [[SCHEMA_VERSION, 'the schema these tests check against'],
    ...Object.entries(NEWER).map(([path, added]) => [added, `which added ${path}`])];
  for (const [release, why] of needed) {
    assert.ok(compareVersions(low, version(release)) >= 0,
      `hashicorp/aws "${constraint}" admits ${show(low)}, older than ${release} (${why}): raise the constraint`);
  }
  const major = version(SCHEMA_VERSION)[0];
  assert.ok(high && compareVersions(high, [major + 1, 0, 0]) <= 0,
    `hashicorp/aws "${constraint}" admits ${major + 1}.0.0 or later, which may drop arguments checked against ${SCHEMA_VERSION}: use "~> ${major}.Y"`);
});

test('the constraint reader: ~>, >=, >, =, <, <= and commas', () => {
  const range = (c) => { const { low, high } = admittedRange(c); return [show(low), high && show(high)]; };
  assert.deepEqual(range('~> 6.28'), ['6.28.0', '7.0.0']);
  assert.deepEqual(range('~> 6.28.1'), ['6.28.1', '6.29.0']);
  assert.deepEqual(range('>= 6.28, < 7.0'), ['6.28.0', '7.0.0']);
  assert.deepEqual(range('> 6.27.9, <= 6.40.0'), ['6.27.10', '6.40.1']);
  assert.deepEqual(range('6.30.0'), ['6.30.0', '6.30.1']);
  assert.deepEqual(range('>= 6.0'), ['6.0.0', null]);
  assert.throws(() => admittedRange('!= 6.28.0'), /cannot read/);
});

test('the jsii names of every type used agree with the Terraform names read from the registry links', () => {
  // The names come from the links; this checks the links were read right,
  // by jsii's own naming, over every argument of every type used (nested too).
  const mismatched = [];
  const seen = new Set();
  const walk = (schema, where) => {
    if (seen.has(schema)) return;
    seen.add(schema);
    for (const [name, entry] of [...Object.entries(schema.arguments), ...Object.entries(schema.blocks)]) {
      // cdktf renames a few reserved words by appending "Attribute" (node -> nodeAttribute).
      if (entry.jsii !== jsiiName(name) && entry.jsii !== `${jsiiName(name)}Attribute`) mismatched.push(`${where}.${name} (jsii: ${entry.jsii})`);
    }
    for (const [name, block] of Object.entries(schema.blocks)) walk(block.schema, `${where}.${name}`);
  };
  for (const kind of ['resource', 'data']) {
    for (const type of Object.keys(config()[kind])) if (schemaOfType(kind, type)) walk(schemaOfType(kind, type), type);
  }
  walk(awsSchema().provider(), 'provider.aws');
  assert.ok(seen.size > 10, `only ${seen.size} schemas walked`);
  assert.deepEqual(mismatched, [], 'Terraform names that do not round-trip to their jsii property names');
});

test('variables and outputs use only their own keys; every resource reference names a resource that exists', () => {
  const check = (body, allowed, where) => {
    for (const key of Object.keys(body)) assert.ok(allowed.includes(key), `${where}: unknown argument "${key}"`);
  };
  for (const [name, blocks] of Object.entries(config().variable)) check(blocks[0], ['description', 'type', 'default', 'validation', 'sensitive', 'nullable'], `variable.${name}`);
  for (const [name, blocks] of Object.entries(config().output)) check(blocks[0], ['description', 'value', 'sensitive'], `output.${name}`);
  for (const s of strings({ r: config().resource, d: config().data, o: config().output, l: config().locals })) {
    for (const m of s.matchAll(/\b(data\.)?(aws_[a-z0-9_]+)\.([a-z0-9_]+)\b/g)) {
      const [, isData, type, name] = m;
      const where = isData ? config().data : config().resource;
      assert.ok(where[type]?.[name], `reference to undefined ${isData ?? ''}${type}.${name} in "${s}"`);
    }
  }
});
