// A short notification sound made with Web Audio (no sound file to fetch): two soft rising
// tones, about a quarter of a second.
//   playChime(audioContext, volume = 0.1)  plays it on `audioContext`; a suspended context
//                                           (no user gesture yet) is asked to resume.

export function playChime(audio, volume = 0.1) {
  if (!audio) return;
  if (audio.state === "suspended") audio.resume().catch(() => {});
  const start = audio.currentTime + 0.01;
  for (const [offset, frequency] of [[0, 880], [0.12, 1318.5]]) {
    const oscillator = audio.createOscillator();
    const gain = audio.createGain();
    oscillator.type = "sine";
    oscillator.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, start + offset);
    gain.gain.exponentialRampToValueAtTime(volume, start + offset + 0.015);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.22);
    oscillator.connect(gain).connect(audio.destination);
    oscillator.start(start + offset);
    oscillator.stop(start + offset + 0.25);
  }
}
