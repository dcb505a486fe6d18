import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { createDataSource } from './data-source';

/**
 * docker-compose.yml gives Countersign DATABASE_URL without a password and the password as PGPASSWORD, so any
 * character works without URL-encoding. A fake server speaking the Postgres wire protocol asks for the password in
 * clear text and records what our DataSource sends.
 */
function fakePostgres(): Promise<{ port: number; passwords: string[]; close(): Promise<void> }> {
  const passwords: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    let buffer = Buffer.alloc(0);
    let started = false;
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (!started && buffer.length >= 4 && buffer.length >= buffer.readInt32BE(0)) {
        started = true;
        buffer = buffer.subarray(buffer.readInt32BE(0));
        // AuthenticationCleartextPassword
        socket.write(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3]));
      }
      if (started && buffer.length >= 5 && buffer[0] === 0x70 && buffer.length >= 1 + buffer.readInt32BE(1)) {
        passwords.push(buffer.subarray(5, buffer.readInt32BE(1)).toString('utf8'));
        const fields = Buffer.from('SFATAL\0C28P01\0Mpassword noted by the fake\0\0');
        const error = Buffer.alloc(5);
        error.write('E');
        error.writeInt32BE(4 + fields.length, 1);
        socket.end(Buffer.concat([error, fields]));
      }
    });
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  return once(server, 'listening').then(() => ({
    port: (server.address() as { port: number }).port,
    passwords,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  }));
}

describe('the database password', () => {
  const saved = process.env.PGPASSWORD;
  afterEach(() => {
    if (saved === undefined) delete process.env.PGPASSWORD;
    else process.env.PGPASSWORD = saved;
  });

  it('comes from PGPASSWORD when DATABASE_URL has none, with every character intact', async () => {
    const server = await fakePostgres();
    const password = `p@ss:w/rd?#%&=+ "'\\$é`;
    process.env.PGPASSWORD = password;
    try {
      await expect(createDataSource(`postgres://countersign@127.0.0.1:${server.port}/countersign`, 1).initialize()).rejects.toThrow(
        /password noted by the fake/,
      );
      expect(server.passwords).toEqual([password]);
    } finally {
      await server.close();
    }
  });
});
