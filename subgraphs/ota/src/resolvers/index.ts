import { createFirmwareFromUrl, deleteFirmware, uploadFirmware } from './Mutation/firmware';
import {
  abortRollout,
  approveRolloutStage,
  cancelRollout,
  createRollout,
  pauseRollout,
  rejectRolloutStage,
  resumeRollout,
  rollbackRollout,
  startRollout,
} from './Mutation/rollouts';
import { Query } from './Query';
import { Device, DeviceFirmware, Firmware, GateResult, Rollout, RolloutDevice } from './types';

// Subscription.rolloutEvents has no resolver here: the gateway serves it from
// rollout.events.v1 and resolves each event's rollout through Query.rollout.
export const resolvers = {
  Query,
  Mutation: {
    uploadFirmware,
    createFirmwareFromUrl,
    deleteFirmware,
    createRollout,
    startRollout,
    pauseRollout,
    resumeRollout,
    approveRolloutStage,
    rejectRolloutStage,
    abortRollout,
    rollbackRollout,
    cancelRollout,
  },
  Firmware,
  Device,
  DeviceFirmware,
  Rollout,
  RolloutDevice,
  GateResult,
};
