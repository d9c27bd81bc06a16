// Public surface of the portable core.
export * from './host.js';
export * from './bytes/hex.js';
export { parseAdvertisement, findServiceData, serviceDataStructure, adStructure, AD_TYPE } from './ad/structures.js';
export type { AdvertisementFields, ServiceData, ManufacturerData } from './ad/structures.js';
export { createSoftAes } from './crypto/aes.js';
export { ccmEncrypt, ccmDecrypt } from './crypto/ccm.js';
export { DEVICE_TYPES, deviceByPid, deviceName, pidHex, unknownDeviceName, FAKE_PID } from './devices/table.js';
export type { DeviceType } from './devices/table.js';
export { MIBEACON_OBJECTS } from './decoders/mibeacon-objects.js';
export { expandLegacyKey } from './decoders/mibeacon.js';
export * from './decoders/types.js';
export { decodeServiceData, decodeAdvertisement, decodeRequest, parseKey, KNOWN_UUIDS } from './decode.js';
export type { DecodeRequest } from './decode.js';
