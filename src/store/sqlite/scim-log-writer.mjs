// The SCIM request log's writer thread (src/store/sqlite/scim-log-thread.ts starts it): its own
// connection to the request log's file (scim-log-schema.ts; its tables are made when the store
// opens), so the log's inserts, and the WAL checkpoints they cause, run off the event loop that
// answers SCIM requests. Each message is a batch of pages, already serialised (scim-log-pages.ts),
// inserted with the statement the thread was given. Plain JavaScript: a worker loads it as it is,
// from src/ under the tests and from dist/ (scripts/copy-assets.mjs) in a build.
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';

const db = new Database(workerData.path, { timeout: workerData.busyTimeoutMs });
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
let insert;

const append = db.transaction((pages) => {
  for (const page of pages) insert.run(...page);
});

parentPort.on('message', (msg) => {
  if (msg.close) {
    db.close();
    parentPort.close();
    return;
  }
  try {
    // Prepared again after a failure: the table may have been away (a restore, a migration).
    insert ??= db.prepare(workerData.insertPage);
    append(msg.pages);
    parentPort.postMessage({ id: msg.id });
  } catch (err) {
    insert = undefined;
    parentPort.postMessage({ id: msg.id, error: { message: err instanceof Error ? err.message : String(err), code: err?.code } });
  }
});
