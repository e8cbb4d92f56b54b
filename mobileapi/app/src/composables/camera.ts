// The in-app camera of a page (the check-in scanner, the evidence camera):
// opens the camera into a <video>, and offers the torch and the camera
// switch where the phone has them (src/camera.js decides which).
import { ref } from 'vue';
import { constraintsOf, controlsOf, nextCamera, type Device } from '../camera.js';

export function useCamera(o: { width?: number } = {}) {
  const torchable = ref(false);
  const torchOn = ref(false);
  const switchable = ref(false);
  let stream: MediaStream | null = null;
  let devices: Device[] = [];
  let deviceId = '';

  /**
   * Opens the camera chosen last (the rear one at first) into the video
   * element (asked for once the camera is open: a popup renders it only
   * when shown); throws when it cannot.
   */
  async function start(videoOf: () => HTMLVideoElement | null): Promise<MediaStream> {
    const s = await navigator.mediaDevices.getUserMedia(constraintsOf(deviceId, o));
    stream = s;
    const track = s.getVideoTracks()[0];
    deviceId = (track?.getSettings?.().deviceId as string | undefined) ?? deviceId;
    // Labels and ids are there once the camera is allowed: asked after.
    devices = await navigator.mediaDevices.enumerateDevices().catch(() => []);
    const c = controlsOf(track, devices);
    torchable.value = c.torch;
    switchable.value = c.switchable;
    torchOn.value = false;
    const video = videoOf();
    if (!video) {
      stop();
      throw new Error('no video element');
    }
    video.srcObject = s;
    await video.play().catch(() => {});
    return s;
  }

  function stop() {
    stream?.getTracks().forEach((t) => t.stop());
    stream = null;
    torchOn.value = false;
  }

  async function toggleTorch() {
    const track = stream?.getVideoTracks()[0];
    if (!track) return;
    const on = !torchOn.value;
    try {
      await track.applyConstraints({ advanced: [{ torch: on } as MediaTrackConstraintSet] });
      torchOn.value = on;
    } catch {
      torchable.value = false; // the camera said it had one and refused it
    }
  }

  /** Switches to the next camera; back to the one before when the next cannot be opened. */
  async function switchCamera(videoOf: () => HTMLVideoElement | null): Promise<void> {
    const next = nextCamera(devices, deviceId);
    if (!next) return;
    const was = deviceId;
    stop();
    deviceId = next;
    try {
      await start(videoOf);
    } catch {
      deviceId = was;
      await start(videoOf);
    }
  }

  return { torchable, torchOn, switchable, start, stop, toggleTorch, switchCamera, stream: () => stream };
}
