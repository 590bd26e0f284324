/**
 * Simplified Chinese (zh-CN) labels of the domain's enums (roles, review levels, event types, categories,
 * placement modes, facility types, guardian kinds, exit reasons, labour capacity, disability types, self-care
 * items), for error messages and the console. Each is a Record over the enum of machines/types.ts or
 * machines/events.ts, so a missing label is a type error. Defined beside the enums in machines/labels.ts (the
 * machine's rules need them and machines/ imports nothing from src/); this is the module to import.
 */
export {
  roleLabels,
  levelLabels,
  eventLabels,
  categoryLabels,
  placementModeLabels,
  facilityTypeLabels,
  guardianKindLabels,
  exitReasonLabels,
  labourCapacityLabels,
  disabilityTypeLabels,
  selfCareItemLabels,
  labelOf,
  type SelfCareItem,
} from '../machines/labels.js';
