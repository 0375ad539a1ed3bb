#!/usr/bin/env node
// Thin launcher kept in git so that npm can link the `hourglass` bin before the first build.
'use strict';
try {
  require('../dist/main.js');
} catch (error) {
  if (error && error.code === 'MODULE_NOT_FOUND' && String(error.message).includes('dist/main.js')) {
    process.stderr.write('hourglass is not built yet: run `npm run setup` in the repository root first.\n');
    process.exit(1);
  }
  throw error;
}
