// @ts-check
// What the in-app cameras (the check-in scanner, the evidence camera) offer
// beyond the picture, decided from what the browser says: a torch where the
// video track's capabilities have one (MediaStreamTrack.getCapabilities,
// Chromium on Android), a camera switch where the phone has two cameras or
// more (enumerateDevices). Plain JavaScript without Vue, so that Node tests
// it; src/composables/camera.ts is the pages' side.

/**
 * @typedef {{kind: string, deviceId: string, label?: string}} Device
 * @typedef {{getCapabilities?: () => any, getSettings?: () => any}} Track
 */

/** The video inputs among devices, in the browser's order. @param {Device[]} devices */
export function videoInputs(devices) {
  return devices.filter((d) => d.kind === 'videoinput');
}

/**
 * Which controls to show for a track: the torch when its capabilities
 * name one, the switch when there are two video inputs or more.
 * @param {Track | null | undefined} track
 * @param {Device[]} devices
 */
export function controlsOf(track, devices) {
  let t;
  try {
    t = track?.getCapabilities?.()?.torch;
  } catch {
    t = undefined;
  }
  // A boolean in Chromium; a list of the values it takes in the spec's older drafts.
  const torch = t === true || (Array.isArray(t) && t.includes(true));
  return { torch, switchable: videoInputs(devices).length >= 2 };
}

/**
 * The camera to switch to: the video input after the current one, round;
 * "" when there is none other.
 * @param {Device[]} devices
 * @param {string} current the deviceId of the camera in use ("" when unknown: the first)
 */
export function nextCamera(devices, current) {
  const ids = videoInputs(devices).map((d) => d.deviceId).filter((id) => id !== '');
  if (ids.length < 2) return '';
  const i = ids.indexOf(current);
  return ids[(i + 1) % ids.length];
}

/**
 * getUserMedia's constraints: a chosen camera exactly, else the one facing
 * away from the inspector.
 * @param {string} deviceId "" for the default
 * @param {{width?: number}} [o]
 * @returns {MediaStreamConstraints}
 */
export function constraintsOf(deviceId, o = {}) {
  /** @type {MediaTrackConstraints} */
  const video = deviceId ? { deviceId: { exact: deviceId } } : { facingMode: 'environment' };
  if (o.width) video.width = { ideal: o.width };
  return { video, audio: false };
}
