// `npm run db:seed`: demo accounts in the product's store. Idempotent: existing ones are left alone.
import { PrismaPg } from '@prisma/adapter-pg';
import { loadConfig, loadDotEnv } from '../config/config.js';
import { PrismaClient } from '../generated/prisma/client.js';
import { createAccount, DEMO_PEOPLE } from './demo-data.js';

async function main(): Promise<void> {
  loadDotEnv();
  const config = loadConfig();
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: config.databaseUrl }) });
  try {
    let created = 0;
    for (const p of DEMO_PEOPLE) {
      if (await prisma.account.findUnique({ where: { email: p.email } })) continue;
      await createAccount(prisma, p, { inviteeEmail: p === DEMO_PEOPLE[0] ? undefined : `guest-of-${p.firstName.toLowerCase()}@example.org` });
      created++;
    }
    console.log(`Demo accounts: ${created} created, ${DEMO_PEOPLE.length - created} already present`);
  } finally {
    await prisma.$disconnect();
  }
}

main().catch((err: Error) => {
  console.error(`Seeding failed: ${err.message}`);
  process.exit(1);
});
