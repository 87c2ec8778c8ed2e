import { Query } from './Query';
import { createDevice, deleteDevice, rotateDeviceToken, updateDevice, updateDeviceAttributes } from './Mutation/devices';
import { createDeviceProfile, deleteDeviceProfile, updateDeviceProfile } from './Mutation/profiles';
import { Device, DeviceProfile, Tenant } from './types';

export const resolvers = {
  Query,
  Mutation: {
    createDeviceProfile,
    updateDeviceProfile,
    deleteDeviceProfile,
    createDevice,
    updateDevice,
    deleteDevice,
    updateDeviceAttributes,
    rotateDeviceToken,
  },
  Tenant,
  Device,
  DeviceProfile,
};
