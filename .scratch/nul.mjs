import AjvM from 'ajv';
import { readFileSync } from 'node:fs';
const Ajv = AjvM.default ?? AjvM;
function nullableToAnyOf(node) {
  if (Array.isArray(node)) return node.map(nullableToAnyOf);
  if (!node || typeof node !== 'object') return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) out[k] = nullableToAnyOf(v);
  if (out.nullable === true && out.type === undefined) { const { nullable, ...rest } = out; return { anyOf: [rest, { type: 'null' }] }; }
  return out;
}
const doc = nullableToAnyOf(JSON.parse(readFileSync('test/vendor-openapi/intercom.json', 'utf8')));
const id = 'urn:vendor-openapi:intercom.json';
const ajv = new Ajv({ strict: false, allErrors: true, logger: false });
ajv.addSchema({ ...doc, $id: id }, id);
for (const k of Object.keys(doc.components.schemas)) {
  try { ajv.compile({ $ref: id + '#/components/schemas/' + k }); } catch (e) { console.log(k, e.message); }
}
