-- CreateTable
CREATE TABLE "firmware" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "title" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "profile_ids" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "size" INTEGER NOT NULL,
    "sha256" TEXT NOT NULL,
    "release_notes" TEXT,
    "storage_key" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "source_url" TEXT,
    "created_by_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "firmware_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "device_firmware" (
    "device_id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "current_title" TEXT,
    "current_version" TEXT,
    "current_firmware_id" UUID,
    "previous_firmware_id" UUID,
    "target_firmware_id" UUID,
    "rollout_id" UUID,
    "command_id" TEXT,
    "status" TEXT,
    "status_reason" TEXT,
    "progress" INTEGER,
    "reported_at" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "device_firmware_pkey" PRIMARY KEY ("device_id")
);

-- CreateTable
CREATE TABLE "rollouts" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "firmware_id" UUID NOT NULL,
    "spec" JSONB NOT NULL,
    "state" TEXT NOT NULL,
    "stage_index" INTEGER NOT NULL DEFAULT 0,
    "stage_started_at" TIMESTAMPTZ(3),
    "awaiting_approval" BOOLEAN NOT NULL DEFAULT false,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    "created_by_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "rollouts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "rollout_devices" (
    "id" UUID NOT NULL,
    "rollout_id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "device_id" UUID NOT NULL,
    "stage_index" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 1,
    "reason" TEXT,
    "previous_firmware_id" UUID,
    "command_id" TEXT NOT NULL,
    "assigned_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "rollout_devices_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "rollout_transitions" (
    "id" UUID NOT NULL,
    "rollout_id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "from_state" TEXT,
    "to_state" TEXT NOT NULL,
    "stage_index" INTEGER NOT NULL,
    "actor_id" UUID,
    "reason" TEXT,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "rollout_transitions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "rollout_gate_results" (
    "id" UUID NOT NULL,
    "rollout_id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "stage_index" INTEGER NOT NULL,
    "gate" TEXT NOT NULL,
    "passed" BOOLEAN NOT NULL,
    "evidence" JSONB NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "rollout_gate_results_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "firmware_tenant_id_created_at_idx" ON "firmware"("tenant_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "firmware_tenant_id_title_version_key" ON "firmware"("tenant_id", "title", "version");

-- CreateIndex
CREATE INDEX "device_firmware_tenant_id_target_firmware_id_idx" ON "device_firmware"("tenant_id", "target_firmware_id");

-- CreateIndex
CREATE INDEX "rollouts_state_idx" ON "rollouts"("state");

-- CreateIndex
CREATE UNIQUE INDEX "rollouts_tenant_id_name_key" ON "rollouts"("tenant_id", "name");

-- CreateIndex
CREATE INDEX "rollout_devices_tenant_id_device_id_idx" ON "rollout_devices"("tenant_id", "device_id");

-- CreateIndex
CREATE UNIQUE INDEX "rollout_devices_rollout_id_device_id_key" ON "rollout_devices"("rollout_id", "device_id");

-- CreateIndex
CREATE INDEX "rollout_transitions_rollout_id_at_idx" ON "rollout_transitions"("rollout_id", "at");

-- CreateIndex
CREATE INDEX "rollout_gate_results_rollout_id_stage_index_idx" ON "rollout_gate_results"("rollout_id", "stage_index");

-- AddForeignKey
ALTER TABLE "rollouts" ADD CONSTRAINT "rollouts_firmware_id_fkey" FOREIGN KEY ("firmware_id") REFERENCES "firmware"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rollout_devices" ADD CONSTRAINT "rollout_devices_rollout_id_fkey" FOREIGN KEY ("rollout_id") REFERENCES "rollouts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rollout_transitions" ADD CONSTRAINT "rollout_transitions_rollout_id_fkey" FOREIGN KEY ("rollout_id") REFERENCES "rollouts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rollout_gate_results" ADD CONSTRAINT "rollout_gate_results_rollout_id_fkey" FOREIGN KEY ("rollout_id") REFERENCES "rollouts"("id") ON DELETE CASCADE ON UPDATE CASCADE;
