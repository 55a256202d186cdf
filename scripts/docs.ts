/** `npm run docs`: regenerates the props tables in the READMEs from the zod schemas. */
import { join } from 'node:path';
import { writeDocs } from './props-docs';

const changed = writeDocs(join(__dirname, '..'));
console.log(changed.length > 0 ? `updated ${changed.join(', ')}` : 'docs are up to date');
