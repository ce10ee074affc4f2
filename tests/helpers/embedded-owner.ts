// A process that owns an embedded server for a DATA_DIR until killed (used by embedded.int.test).
import { startEmbedded } from '../../src/lib/server/db/embedded';

const server = await startEmbedded({ dataDir: process.argv[2]!, mode: 'own' });
process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);
process.on('SIGTERM', () => void server.stop().then(() => process.exit(0)));
setInterval(() => {}, 60_000);
