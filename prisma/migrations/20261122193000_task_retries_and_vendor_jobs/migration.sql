-- AlterEnum
ALTER TYPE "task_status" ADD VALUE 'waiting';

-- AlterTable
ALTER TABLE "dsar_tasks" ADD COLUMN     "auto_retries" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "checks" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "failure_kind" TEXT,
ADD COLUMN     "next_check_at" TIMESTAMPTZ(3),
ADD COLUMN     "waiting_since" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "dsar_tasks_status_next_retry_at_idx" ON "dsar_tasks"("status", "next_retry_at");

-- CreateIndex
CREATE INDEX "dsar_tasks_status_next_check_at_idx" ON "dsar_tasks"("status", "next_check_at");

