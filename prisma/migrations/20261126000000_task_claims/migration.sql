-- AlterTable
ALTER TABLE "dsar_tasks" ADD COLUMN     "claim_token" UUID,
ADD COLUMN     "lease_until" TIMESTAMPTZ(3);

