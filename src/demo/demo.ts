// `npm run demo`: the whole fan-out without any vendor account. Starts a local fake of every
// processor, seeds the demo accounts' data into them, and runs the API and worker (scripts/start.mjs)
// with the adapters pointed at the fakes. Explicit only: missing credentials never imply this mode.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PrismaPg } from '@prisma/adapter-pg';
import { loadConfig, loadDotEnv } from '../config/config.js';
import { PrismaClient } from '../generated/prisma/client.js';
import { seedSubject, startVendorFakes } from './fakes/index.js';

loadDotEnv();
const config = loadConfig();
const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: config.databaseUrl }) });
const fakes = await startVendorFakes();
const accounts = await prisma.account.findMany({
  where: { email: { endsWith: '@example.com' } },
  select: { email: true, userId: true, firstName: true, lastName: true, phoneNumber: true, businessRole: true, businessType: true },
});
await prisma.$disconnect();
for (const a of accounts) {
  seedSubject(fakes, {
    email: a.email,
    userId: a.userId,
    firstName: a.firstName ?? undefined,
    lastName: a.lastName ?? undefined,
    phone: a.phoneNumber ?? undefined,
    businessRole: a.businessRole ?? undefined,
    businessType: a.businessType ?? undefined,
    company: 'Example Ltd',
    country: 'United Kingdom',
  });
}
console.log(`[demo] vendor fakes running with ${accounts.length} demo subject(s): ${fakes.all.map((f) => f.name).join(', ')}`);

const start = fileURLToPath(new URL('../../scripts/start.mjs', import.meta.url));
const child = spawn(process.execPath, [start], { stdio: 'inherit', env: { ...process.env, ...fakes.env } });
const stop = () => child.kill('SIGTERM');
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
child.on('exit', (code) => {
  void fakes.stop().then(() => process.exit(code ?? 0));
});
