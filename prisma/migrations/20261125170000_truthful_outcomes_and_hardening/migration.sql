-- Case-insensitive e-mail columns (citext is a trusted extension: no superuser needed on PostgreSQL 13+).
CREATE EXTENSION IF NOT EXISTS "citext";

-- AlterEnum (PostgreSQL 12+ adds enum values inside a transaction block)

ALTER TYPE "request_status" ADD VALUE 'awaiting_action';
ALTER TYPE "request_status" ADD VALUE 'denied';

-- AlterEnum
ALTER TYPE "task_status" ADD VALUE 'cancelled';

-- AlterTable
ALTER TABLE "accounts" ALTER COLUMN "email" SET DATA TYPE CITEXT;

-- AlterTable
ALTER TABLE "invoices" ADD COLUMN     "retained_for_key" TEXT,
ADD COLUMN     "retained_since" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "invitations" ALTER COLUMN "invitee_email" SET DATA TYPE CITEXT;

-- AlterTable
ALTER TABLE "dsar_requests" DROP COLUMN "verification_expires_at",
DROP COLUMN "verification_token_hash",
ADD COLUMN     "channel" TEXT NOT NULL DEFAULT 'web',
ADD COLUMN     "denied_note" TEXT,
ADD COLUMN     "denied_reason" TEXT,
ADD COLUMN     "extended_at" TIMESTAMPTZ(3),
ADD COLUMN     "extension_reason" TEXT,
ADD COLUMN     "identity_check" TEXT,
ADD COLUMN     "original_due_at" TIMESTAMPTZ(3),
ADD COLUMN     "redacted_at" TIMESTAMPTZ(3),
ADD COLUMN     "verification_locked_until" TIMESTAMPTZ(3),
ALTER COLUMN "email" DROP NOT NULL;

-- AlterTable
ALTER TABLE "officer_api_keys" ADD COLUMN     "bootstrap" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "verification_tokens" (
    "id" UUID NOT NULL,
    "request_id" UUID NOT NULL,
    "token_hash" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "sent_at" TIMESTAMPTZ(3),
    "used_at" TIMESTAMPTZ(3),

    CONSTRAINT "verification_tokens_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "officer_actions" (
    "id" UUID NOT NULL,
    "request_id" UUID NOT NULL,
    "task_id" UUID,
    "system" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'open',
    "instructions" TEXT NOT NULL,
    "due_at" TIMESTAMPTZ(3) NOT NULL,
    "outcome_when_done" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completed_at" TIMESTAMPTZ(3),
    "completed_by" TEXT,
    "note" TEXT,

    CONSTRAINT "officer_actions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "outbound_mails" (
    "id" UUID NOT NULL,
    "request_id" UUID,
    "kind" TEXT NOT NULL,
    "dedupe_key" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "claimed_at" TIMESTAMPTZ(3),
    "sent_at" TIMESTAMPTZ(3),

    CONSTRAINT "outbound_mails_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "verification_tokens_token_hash_key" ON "verification_tokens"("token_hash");

-- CreateIndex
CREATE INDEX "verification_tokens_request_id_idx" ON "verification_tokens"("request_id");

-- CreateIndex
CREATE INDEX "officer_actions_status_due_at_idx" ON "officer_actions"("status", "due_at");

-- CreateIndex
CREATE INDEX "officer_actions_request_id_idx" ON "officer_actions"("request_id");

-- CreateIndex
CREATE UNIQUE INDEX "officer_actions_task_id_kind_key" ON "officer_actions"("task_id", "kind");

-- CreateIndex
CREATE UNIQUE INDEX "outbound_mails_dedupe_key_key" ON "outbound_mails"("dedupe_key");

-- CreateIndex
CREATE INDEX "outbound_mails_status_claimed_at_idx" ON "outbound_mails"("status", "claimed_at");

-- CreateIndex
CREATE INDEX "outbound_mails_request_id_idx" ON "outbound_mails"("request_id");

-- CreateIndex
CREATE INDEX "invoices_retained_for_key_idx" ON "invoices"("retained_for_key");

-- CreateIndex
CREATE INDEX "dsar_requests_email_idx" ON "dsar_requests"("email");

-- AddForeignKey
ALTER TABLE "verification_tokens" ADD CONSTRAINT "verification_tokens_request_id_fkey" FOREIGN KEY ("request_id") REFERENCES "dsar_requests"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "officer_actions" ADD CONSTRAINT "officer_actions_request_id_fkey" FOREIGN KEY ("request_id") REFERENCES "dsar_requests"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "outbound_mails" ADD CONSTRAINT "outbound_mails_request_id_fkey" FOREIGN KEY ("request_id") REFERENCES "dsar_requests"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

