// Configuration for the Prisma CLI. `prisma generate` needs no database; `prisma migrate
// deploy/status` (where the schema engine is available) read DATABASE_URL.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost:5432/unused' },
});
