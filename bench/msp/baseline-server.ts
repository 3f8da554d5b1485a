/**
 * The baseline of the read benchmarks (issue 7, target 1): a bare Fastify 5 route that reads one
 * row by primary key with `pg` and returns it as JSON — no authentication, no tenancy, no schema.
 * The ceiling for any read endpoint of the service on this machine.
 *
 *   DATABASE_URL=… PORT=… tsx bench/msp/baseline-server.ts
 */
import Fastify from 'fastify';
import pg from 'pg';

const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.DB_POOL_MAX ?? 10),
});
const app = Fastify({ logger: false });

app.get<{ Params: { id: string } }>('/orgs/:id', async (request, reply) => {
  const { rows } = await pool.query('SELECT * FROM orgs WHERE id = $1', [request.params.id]);
  if (rows.length === 0) return reply.code(404).send({ status: 404 });
  return rows[0];
});

app.get('/healthz', async () => ({ ok: true }));

await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
process.stdout.write('ready\n');
const stop = async () => {
  await app.close();
  await pool.end();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
