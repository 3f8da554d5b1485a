/**
 * `npm run openapi:write`: regenerates openapi/openapi.json from the route schemas, and the client's
 * types (src/client/openapi-types.ts) from that document.
 */
import { writeFile } from 'node:fs/promises';
import { generateOpenApiDocument } from './openapi-document.js';
import { generateOpenApiTypes } from './openapi-types.js';

const documentFile = new URL('../openapi/openapi.json', import.meta.url);
const typesFile = new URL('../src/client/openapi-types.ts', import.meta.url);
const document = await generateOpenApiDocument();
await writeFile(documentFile, document);
await writeFile(typesFile, await generateOpenApiTypes(document));
process.stdout.write(`wrote ${documentFile.pathname}\nwrote ${typesFile.pathname}\n`);
