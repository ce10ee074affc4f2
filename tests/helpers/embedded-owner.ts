// A process that owns an embedded server for a DATA_DIR until killed (used by embedded.int.test).
// Its SIGTERM handler is in place before it says it is ready: a test may signal it at once.
import { startEmbedded } from '../../src/lib/server/db/embedded';

const server = await startEmbedded({ dataDir: process.argv[2]!, mode: 'own' });
process.on('SIGTERM', () => void server.stop().then(() => process.exit(0)));
setInterval(() => {}, 60_000);
process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);
