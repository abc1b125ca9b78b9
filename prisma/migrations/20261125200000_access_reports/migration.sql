-- CreateTable
CREATE TABLE "access_reports" (
    "id" UUID NOT NULL,
    "request_id" UUID NOT NULL,
    "subject_key" TEXT NOT NULL,
    "content" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "deleted_at" TIMESTAMPTZ(3),
    "downloads" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "access_reports_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "report_links" (
    "id" UUID NOT NULL,
    "report_id" UUID NOT NULL,
    "token_hash" TEXT NOT NULL,
    "request_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "report_links_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "access_reports_request_id_key" ON "access_reports"("request_id");

-- CreateIndex
CREATE INDEX "access_reports_subject_key_expires_at_idx" ON "access_reports"("subject_key", "expires_at");

-- CreateIndex
CREATE INDEX "access_reports_expires_at_idx" ON "access_reports"("expires_at");

-- CreateIndex
CREATE UNIQUE INDEX "report_links_token_hash_key" ON "report_links"("token_hash");

-- CreateIndex
CREATE INDEX "report_links_report_id_idx" ON "report_links"("report_id");

-- AddForeignKey
ALTER TABLE "access_reports" ADD CONSTRAINT "access_reports_request_id_fkey" FOREIGN KEY ("request_id") REFERENCES "dsar_requests"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "report_links" ADD CONSTRAINT "report_links_report_id_fkey" FOREIGN KEY ("report_id") REFERENCES "access_reports"("id") ON DELETE CASCADE ON UPDATE CASCADE;

