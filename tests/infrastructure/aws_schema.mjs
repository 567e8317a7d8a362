// The AWS provider's configuration schema, read from the jsii assembly of
// @cdktf/provider-aws (tests/node/node_modules, pinned in tests/node/package.json),
// so tests can check infrastructure/*.tf without Terraform or a provider registry.
//
//   const aws = loadAwsSchema();
//   aws.providerVersion               '6.25.0': the hashicorp/aws release the assembly describes
//   aws.resource('aws_lambda_permission'), aws.dataSource('aws_iam_policy_document'), aws.provider()
//       -> a Schema, or undefined when the provider has no such type:
//   Schema = { arguments: { <name>: { required, jsii } },
//              blocks:    { <name>: { required, jsii, schema: Schema } } }
// Names are Terraform's (snake_case); `jsii` is the assembly's property name. A
// block is any argument whose value is a struct (nested blocks, and the nested
// attributes of framework resources, `x = { ... }`); maps stay arguments.
//
// Where the assembly records what (jsii 0.10 schema; each is checked as it is
// read, and any surprise throws, so a different assembly fails loudly instead
// of yielding an empty schema):
// - Each resource, data source and the provider is a class whose base is
//   cdktf.TerraformResource / TerraformDataSource / TerraformProvider. Its docs
//   summary links the registry page and names the Terraform type:
//   "Represents a {@link https://registry.terraform.io/providers/hashicorp/aws/
//   6.25.0/docs/resources/lambda_permission aws_lambda_permission}." The
//   version in those links is the provider release (the type's own static
//   tfResourceType constant is not in the assembly: jsii records no values).
// - The class's initializer takes (scope, id, config); config's type is the
//   interface of the block's arguments. Each property: optional unless marked
//   required ("optional": true absent); its type names a struct interface
//   (directly, in an array, or in a union with cdktf.IResolvable) for a block.
// - The Terraform name of each property is the anchor of its registry link
//   ("...lambda_permission#invoked_via_function_url LambdaPermission#invoked_via_function_url"),
//   in the summary or the remarks. jsii's camelCase name is not enough: it
//   drops underscores before digits (addressLine1 is address_line_1, but
//   ipv6CidrBlock is ipv6_cidr_block) and renames reserved words (node ->
//   nodeAttribute); `jsii` is kept so tests can check the two agree.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';

const ASSEMBLY = '@cdktf/provider-aws';
const KINDS = {
  'cdktf.TerraformResource': 'resource',
  'cdktf.TerraformDataSource': 'data',
  'cdktf.TerraformProvider': 'provider',
};
const REGISTRY = 'https://registry\\.terraform\\.io/providers/hashicorp/aws/([0-9]+\\.[0-9]+\\.[0-9]+)/docs';
const CLASS_LINK = new RegExp(`^Represents a \\{@link ${REGISTRY}(?:/(resources|data-sources)/([a-z0-9_]+))? ([a-z0-9_]+)\\}\\.$`);
const PROPERTY_LINK = new RegExp(`\\{@link ${REGISTRY}[a-z0-9_/-]*#([a-z0-9_]+) [A-Za-z0-9]+#([a-z0-9_]+)\\}`);

// Terraform's snake_case name -> the camelCase name jsii gives it: a letter
// after "_" or after a digit is upper-cased (invoked_via_function_url ->
// invokedViaFunctionUrl, address_line_1 -> addressLine1, s3api -> s3Api). Over
// the whole 6.25.0 assembly this holds for all 34,252 arguments but a few
// reserved words cdktf renames (node -> nodeAttribute, equals -> equalTo).
export const jsiiName = (name) =>
  name.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase()).replace(/([0-9])([a-z])/g, (_, d, c) => d + c.toUpperCase());

export function loadAwsSchema() {
  const require = createRequire(new URL('../node/package.json', import.meta.url));
  const file = join(dirname(require.resolve(`${ASSEMBLY}/package.json`)), '.jsii');
  const assembly = JSON.parse(readFileSync(file, 'utf8'));
  if (assembly.schema !== 'jsii/0.10.0') throw new Error(`${file}: jsii schema ${assembly.schema}, this reader knows jsii/0.10.0`);

  const classes = { resource: new Map(), data: new Map(), provider: new Map() };
  const versions = new Set();
  for (const type of Object.values(assembly.types)) {
    const kind = KINDS[type.base];
    if (type.kind !== 'class' || !kind) continue;
    const m = CLASS_LINK.exec(type.docs?.summary ?? '');
    if (!m) throw new Error(`${type.fqn}: no registry link naming its Terraform type in "${type.docs?.summary}"`);
    const [, version, section, page, name] = m;
    const expected = { resource: 'resources', data: 'data-sources', provider: undefined }[kind];
    if (section !== expected || (page && `aws_${page}` !== name)) throw new Error(`${type.fqn}: registry link ${m[0]} does not fit a ${kind} named ${name}`);
    const params = type.initializer?.parameters ?? [];
    const config = params[params.length - 1];
    if (config?.name !== 'config' || !config.type.fqn) throw new Error(`${type.fqn}: initializer has no config parameter`);
    if (classes[kind].has(name)) throw new Error(`${type.fqn}: a second ${kind} ${name}`);
    classes[kind].set(name, config.type.fqn);
    versions.add(version);
  }
  if (versions.size !== 1) throw new Error(`${file}: registry links name provider versions ${[...versions]}, expected one`);
  if (classes.provider.size !== 1 || classes.resource.size === 0 || classes.data.size === 0) {
    throw new Error(`${file}: found ${classes.provider.size} providers, ${classes.resource.size} resources, ${classes.data.size} data sources`);
  }

  const schemas = new Map(); // interface fqn -> Schema
  function schemaOf(fqn) {
    if (schemas.has(fqn)) return schemas.get(fqn);
    const iface = assembly.types[fqn];
    if (iface?.kind !== 'interface') throw new Error(`${fqn}: not an interface of the assembly`);
    const schema = { arguments: {}, blocks: {} };
    schemas.set(fqn, schema); // before recursing: a struct may (indirectly) contain itself
    const own = (iface.interfaces ?? []).filter((i) => i.startsWith(`${ASSEMBLY}.`));
    for (const parent of own) {
      Object.assign(schema.arguments, schemaOf(parent).arguments);
      Object.assign(schema.blocks, schemaOf(parent).blocks);
    }
    for (const p of iface.properties ?? []) {
      const docs = [p.docs?.summary, p.docs?.remarks].filter(Boolean).join('\n');
      const link = PROPERTY_LINK.exec(docs);
      if (!link || link[2] !== link[3]) throw new Error(`${fqn}.${p.name}: no registry link naming its Terraform argument`);
      const name = link[2];
      const entry = { required: p.optional !== true, jsii: p.name };
      const struct = structOf(p.type);
      if (struct) schema.blocks[name] = { ...entry, get schema() { return schemaOf(struct); } };
      else schema.arguments[name] = entry;
    }
    return schema;
  }

  // The struct interface a property's type holds (a nested block), if any.
  function structOf(type) {
    if (type.fqn) return type.fqn.startsWith(`${ASSEMBLY}.`) && assembly.types[type.fqn]?.datatype ? type.fqn : null;
    if (type.collection) return type.collection.kind === 'array' ? structOf(type.collection.elementtype) : null;
    if (type.union) return type.union.types.map(structOf).find(Boolean) ?? null;
    return null;
  }

  const lookup = (kind) => (name) => (classes[kind].has(name) ? schemaOf(classes[kind].get(name)) : undefined);
  return {
    file,
    providerVersion: [...versions][0],
    resource: lookup('resource'),
    dataSource: lookup('data'),
    provider: () => schemaOf([...classes.provider.values()][0]),
  };
}
