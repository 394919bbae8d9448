// Imported first by main.ts, before any schema is built (zod decides per schema
// when it is constructed). The CLI parses the config and its contracts once per
// process: compiling zod's generated fast paths (new Function) costs it more
// than they save. The checks and their messages are the same either way.
import { z } from 'zod';

z.config({ jitless: true });
