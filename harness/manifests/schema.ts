import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import ts from 'typescript';
import { parse } from 'yaml';

/**
 * Manifests checked as the API server would: against Kubernetes' OpenAPI schema (the kubernetes-models
 * package's validators, generated from it), with unknown fields refused as strict field validation
 * does (TypeScript's excess-property check against the same package's types), and JobSets against the
 * vendored CRDs' schemas (JobSet, LeaderWorkerSet).
 */
export type Doc = Record<string, unknown>;

export interface SchemaFinding {
  /** `Job/example-job`, or the document's position when it has no name. */
  object: string;
  message: string;
}

/** The Kubernetes versions whose schema is here: the kubernetes-models release generated from each. */
export const SCHEMAS = { '1.33': 'kubernetes-models' } as const;
export type KubernetesVersion = keyof typeof SCHEMAS;

const require = createRequire(import.meta.url);
/** The custom resources the examples use, by `apiVersion kind`: their vendored CRD and the version in it. */
const CRDS: Record<string, { file: string; version: string }> = {
  'jobset.x-k8s.io/v1alpha2 JobSet': { file: 'schemas/jobset.x-k8s.io_jobsets.yaml', version: 'v1alpha2' },
  'leaderworkerset.x-k8s.io/v1 LeaderWorkerSet': { file: 'schemas/leaderworkerset.x-k8s.io_leaderworkersets.yaml', version: 'v1' },
};

export const objectName = (doc: Doc, position: number): string => `${String(doc.kind ?? '?')}/${String((doc.metadata as Doc | undefined)?.name ?? `#${position}`)}`;

/** Every finding for the documents of one file, validated for `version`. */
export function validateSchemas(docs: readonly Doc[], version: KubernetesVersion, source: string): SchemaFinding[] {
  const findings: SchemaFinding[] = [];
  const typed: { doc: Doc; position: number; type: string; module: string }[] = [];
  docs.forEach((doc, position) => {
    const object = objectName(doc, position);
    const apiVersion = String(doc.apiVersion ?? '');
    const kind = String(doc.kind ?? '');
    const crd = CRDS[`${apiVersion} ${kind}`];
    if (crd !== undefined) {
      findings.push(...validateCustom(crd, doc).map((message) => ({ object, message })));
      return;
    }
    const module = `${SCHEMAS[version]}/${apiVersion}/${kind}`;
    let Model: new (data: Doc) => { validate(): void };
    try {
      Model = (require(module) as Record<string, new (data: Doc) => { validate(): void }>)[kind] as never;
    } catch {
      findings.push({ object, message: `no schema for ${apiVersion} ${kind} in Kubernetes ${version}` });
      return;
    }
    try {
      new Model(doc).validate();
    } catch (error) {
      findings.push({ object, message: (error as Error).message });
    }
    typed.push({ doc, position, type: `I${kind}`, module });
  });
  for (const { position, message } of unknownFields(typed, source)) findings.push({ object: objectName(docs[position] as Doc, position), message });
  return findings;
}

/**
 * Fields the schema does not know, which the API server drops or (strict) refuses. Each object is written
 * as a TypeScript literal of the model's interface; every nested object literal is then compared with
 * the type the checker expects there, so that each unknown field is named (a compile error would name
 * only the first).
 */
function unknownFields(typed: readonly { doc: Doc; position: number; type: string; module: string }[], source: string): { position: number; message: string }[] {
  if (typed.length === 0) return [];
  const text = typed.map(({ doc, type, module }, n) => `import type { ${type} as T${n} } from ${JSON.stringify(module)};\nexport const doc${n}: T${n} = ${JSON.stringify(doc)};`).join('\n');
  const file = join(import.meta.dirname, `.manifest-${process.pid}.ts`);
  const options: ts.CompilerOptions = { strict: true, noEmit: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, skipLibCheck: true, types: [] };
  const host = ts.createCompilerHost(options);
  const { fileExists, getSourceFile } = host;
  host.fileExists = (name) => name === file || fileExists.call(host, name);
  host.getSourceFile = (name, language) => (name === file ? ts.createSourceFile(name, text, language, true) : getSourceFile.call(host, name, language));
  const program = ts.createProgram([file], options, host);
  const checker = program.getTypeChecker();
  const sourceFile = program.getSourceFile(file) as ts.SourceFile;
  const found: { position: number; message: string }[] = [];
  const visit = (node: ts.Node, path: string, position: number): void => {
    if (ts.isObjectLiteralExpression(node)) {
      const expected = knownProperties(checker, node);
      for (const property of node.properties) {
        if (!ts.isPropertyAssignment(property)) continue;
        const key = ts.isStringLiteral(property.name) ? property.name.text : property.name.getText(sourceFile);
        if (expected !== undefined && !expected.has(key)) found.push({ position, message: `${path}/${key}: unknown field (${source})` });
        else visit(property.initializer, `${path}/${key}`, position);
      }
    } else if (ts.isArrayLiteralExpression(node)) {
      node.elements.forEach((element, index) => visit(element, `${path}/${index}`, position));
    }
  };
  let n = 0;
  sourceFile.forEachChild((statement) => {
    if (!ts.isVariableStatement(statement)) return;
    const initializer = statement.declarationList.declarations[0]?.initializer;
    const entry = typed[n++];
    if (initializer !== undefined && entry !== undefined) visit(initializer, '', entry.position);
  });
  return found;
}

/** The property names the checker expects for an object literal, or undefined where any name goes (a map). */
function knownProperties(checker: ts.TypeChecker, node: ts.ObjectLiteralExpression): Set<string> | undefined {
  const contextual = checker.getContextualType(node)?.getNonNullableType();
  if (contextual === undefined) return undefined;
  const members = contextual.isUnion() ? contextual.types : [contextual];
  const names = new Set<string>();
  for (const member of members) {
    if (member.getStringIndexType() !== undefined || (member.flags & ts.TypeFlags.Any) !== 0) return undefined;
    for (const property of checker.getPropertiesOfType(checker.getApparentType(member))) names.add(property.getName());
  }
  return names;
}

const customValidators = new Map<string, { validate: ValidateFunction; schema: Doc }>();

function validateCustom(crd: { file: string; version: string }, doc: Doc): string[] {
  let validator = customValidators.get(crd.file);
  if (validator === undefined) {
    const definition = parse(readFileSync(join(import.meta.dirname, crd.file), 'utf8')) as { spec: { versions: { name: string; schema: { openAPIV3Schema: Doc } }[] } };
    const schema = definition.spec.versions.find((version) => version.name === crd.version)?.schema.openAPIV3Schema as Doc;
    // The CRD's own keywords (x-kubernetes-*) and formats (int32, …) are the API server's, not JSON Schema's.
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    validator = { validate: ajv.compile(schema), schema };
    customValidators.set(crd.file, validator);
  }
  const { validate, schema } = validator;
  const errors = validate(doc) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message ?? 'is invalid'}`);
  return [...errors, ...pruned(doc, schema, '')];
}

/** Fields a structural schema does not declare: what the API server prunes, or refuses when strict. */
function pruned(value: unknown, schema: Doc | undefined, path: string): string[] {
  if (schema === undefined || value === null || typeof value !== 'object') return [];
  if (Array.isArray(value)) return value.flatMap((item, index) => pruned(item, schema.items as Doc | undefined, `${path}/${index}`));
  if (schema['x-kubernetes-preserve-unknown-fields'] === true) return [];
  const properties = schema.properties as Record<string, Doc> | undefined;
  const additional = typeof schema.additionalProperties === 'object' ? (schema.additionalProperties as Doc) : undefined;
  // metadata and other bare objects declare nothing: the API server checks them elsewhere.
  if (properties === undefined && additional === undefined) return [];
  return Object.entries(value as Doc).flatMap(([key, child]) => {
    const childSchema = properties?.[key] ?? additional;
    if (childSchema === undefined) return [`${path}/${key}: unknown field`];
    return pruned(child, childSchema, `${path}/${key}`);
  });
}
