// Child process of `hourglass eval nab`: runs exactly one NAB file (one TensorFlow runtime per
// process, so files run in parallel without sharing the native addon), then exits.
import { describeError } from '@hourglass/core';
import { runNabFile, type NabFileTask } from './nab-file';

process.once('message', (task: NabFileTask) => {
  let last = 0;
  runNabFile(task, (rows, total) => {
    if (rows - last >= 256 || rows === total) {
      last = rows;
      process.send?.({ kind: 'progress', rows });
    }
  })
    .then((outcome) => process.send?.({ kind: 'done', outcome }, () => process.exit(0)))
    .catch((error: unknown) => process.send?.({ kind: 'error', message: `${task.file.key}: ${describeError(error)}` }, () => process.exit(1)));
});
