-- CreateTable
CREATE TABLE "officer_sessions" (
    "id" UUID NOT NULL,
    "token_hash" TEXT NOT NULL,
    "key_id" UUID NOT NULL,
    "csrf_token" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "ended_at" TIMESTAMPTZ(3),

    CONSTRAINT "officer_sessions_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "officer_sessions_token_hash_key" ON "officer_sessions"("token_hash");

-- CreateIndex
CREATE INDEX "officer_sessions_expires_at_idx" ON "officer_sessions"("expires_at");

-- AddForeignKey
ALTER TABLE "officer_sessions" ADD CONSTRAINT "officer_sessions_key_id_fkey" FOREIGN KEY ("key_id") REFERENCES "officer_api_keys"("id") ON DELETE CASCADE ON UPDATE CASCADE;

