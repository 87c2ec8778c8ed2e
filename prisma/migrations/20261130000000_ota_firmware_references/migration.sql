-- What a device runs, ran or is assigned, and what a rollout assignment would roll back to,
-- now refer to firmware by foreign key: deleteFirmware's own checks could race with a
-- device's report, and a deleted package would leave a dangling id behind.

-- A reference to a package that no longer exists is forgotten first (it could only have
-- come from that race), so the constraints can be added to any existing database.
UPDATE "device_firmware" SET "current_firmware_id" = NULL
  WHERE "current_firmware_id" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "firmware" f WHERE f."id" = "current_firmware_id");
UPDATE "device_firmware" SET "previous_firmware_id" = NULL
  WHERE "previous_firmware_id" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "firmware" f WHERE f."id" = "previous_firmware_id");
UPDATE "device_firmware" SET "target_firmware_id" = NULL
  WHERE "target_firmware_id" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "firmware" f WHERE f."id" = "target_firmware_id");
UPDATE "rollout_devices" SET "previous_firmware_id" = NULL
  WHERE "previous_firmware_id" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "firmware" f WHERE f."id" = "previous_firmware_id");

-- AddForeignKey
ALTER TABLE "device_firmware" ADD CONSTRAINT "device_firmware_current_firmware_id_fkey" FOREIGN KEY ("current_firmware_id") REFERENCES "firmware"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "device_firmware" ADD CONSTRAINT "device_firmware_previous_firmware_id_fkey" FOREIGN KEY ("previous_firmware_id") REFERENCES "firmware"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "device_firmware" ADD CONSTRAINT "device_firmware_target_firmware_id_fkey" FOREIGN KEY ("target_firmware_id") REFERENCES "firmware"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rollout_devices" ADD CONSTRAINT "rollout_devices_previous_firmware_id_fkey" FOREIGN KEY ("previous_firmware_id") REFERENCES "firmware"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
