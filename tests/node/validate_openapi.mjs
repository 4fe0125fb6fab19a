// Validates an OpenAPI 3.1 document (JSON) with @apidevtools/swagger-parser:
// the OpenAPI 3.1 schema, then every $ref resolved.
//
// Usage: node validate_openapi.mjs FILE
// Exit status 0 and "FILE: valid OpenAPI 3.1.x" when it is; 1 and the
// validator's message on standard error when it is not (or is another
// OpenAPI version); 2 on bad usage.

import SwaggerParser from "@apidevtools/swagger-parser";

const file = process.argv[2];
if (!file || process.argv.length > 3) {
  console.error("usage: validate_openapi.mjs FILE");
  process.exit(2);
}
try {
  // validate() dereferences the document it is given: it reads the file.
  const api = await SwaggerParser.validate(file);
  if (typeof api.openapi !== "string" || !api.openapi.startsWith("3.1.")) {
    const says = api.openapi !== undefined ? `openapi ${api.openapi}` : `swagger ${api.swagger}`;
    throw new Error(`not an OpenAPI 3.1 document (it says ${says})`);
  }
  console.log(`${file}: valid OpenAPI ${api.openapi}`);
} catch (error) {
  console.error(`${file}: ${error.message}`);
  process.exit(1);
}
