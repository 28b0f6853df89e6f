// Validates a report.json against docs/report.schema.json with Ajv (draft 2020-12).
// Usage: node validate_schema.cjs REPORT.json SCHEMA.json WEB_DIR  (WEB_DIR holds node_modules/)
'use strict';
const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

const [reportPath, schemaPath, webDir] = process.argv.slice(2);
const requireWeb = createRequire(path.join(path.resolve(webDir), 'package.json'));
const Ajv2020 = requireWeb('ajv/dist/2020').default;
const addFormats = requireWeb('ajv-formats').default;

const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats(ajv);
const validate = ajv.compile(JSON.parse(fs.readFileSync(schemaPath, 'utf8')));
const report = JSON.parse(fs.readFileSync(reportPath, 'utf8'));
if (!validate(report)) {
  for (const e of validate.errors.slice(0, 10)) console.error(`${e.instancePath || '/'} ${e.message}`);
  process.exit(1);
}
console.log(`${reportPath}: valid against ${schemaPath}`);
