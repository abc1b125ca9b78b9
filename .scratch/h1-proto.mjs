import { Ajv2020 } from 'ajv/dist/2020.js';
import AjvDraft from 'ajv';
import addFormatsMod from 'ajv-formats';
import { readFileSync } from 'node:fs';
const addFormats = addFormatsMod.default ?? addFormatsMod;
const Ajv = AjvDraft.default ?? AjvDraft;
for (const [file, cls] of [['intercom.json', Ajv], ['auth0-management.json', Ajv2020], ['sendgrid-contacts.json', Ajv2020], ['auth0-authentication.json', Ajv2020]]) {
  const doc = JSON.parse(readFileSync('test/vendor-openapi/' + file, 'utf8'));
  const ajv = new cls({ strict: false, allErrors: true, logger: false });
  addFormats(ajv, ['date-time', 'email', 'uuid']);
  const id = 'urn:vendor-openapi:' + file;
  ajv.addSchema({ ...doc, $id: id }, id);
  for (const [p, item] of Object.entries(doc.paths)) for (const [m, op] of Object.entries(item)) {
    if (m === 'parameters') continue;
    const ptr = (...xs) => id + '#/' + xs.map((x) => String(x).replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
    for (const [st, r] of Object.entries(op.responses)) {
      if (!r.content?.['application/json']) continue;
      try { ajv.getSchema(ptr('paths', p, m, 'responses', st, 'content', 'application/json', 'schema')) || console.log('no schema', p, m, st); }
      catch (e) { console.log('ERR', file, p, m, st, e.message.slice(0, 200)); }
    }
    if (op.requestBody) for (const ct of Object.keys(op.requestBody.content)) {
      try { const v = ajv.getSchema(ptr('paths', p, m, 'requestBody', 'content', ct, 'schema')); console.log('ok body', p, m, ct, !!v); }
      catch (e) { console.log('ERR body', file, p, m, e.message.slice(0, 200)); }
    }
  }
}
