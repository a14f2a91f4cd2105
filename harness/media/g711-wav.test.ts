import { describe, expect, it } from 'vitest';
import { ulawToLinear } from './g711';
import { g711Wav } from './g711-wav';

describe('G.711 WAV for SIPp rtp_stream', () => {
  it('writes an 8 kHz mono µ-law WAV whose samples decode to the tone', () => {
    const wav = g711Wav({ codec: 'PCMU', seconds: 0.5, toneHz: 1000, amplitude: 8000 });
    expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
    expect(wav.toString('ascii', 8, 12)).toBe('WAVE');
    expect(wav.readUInt16LE(20)).toBe(7); // WAVE_FORMAT_MULAW
    expect(wav.readUInt16LE(22)).toBe(1);
    expect(wav.readUInt32LE(24)).toBe(8000);
    expect(wav.toString('ascii', 50, 54)).toBe('data');
    const data = wav.subarray(58);
    expect(data.length).toBe(4000);
    expect(wav.readUInt32LE(4)).toBe(wav.length - 8);
    // A 1 kHz tone at 8 kHz repeats every 8 samples; its peak is near the amplitude.
    const decoded = [...data.subarray(0, 16)].map(ulawToLinear);
    expect(Math.max(...decoded)).toBeGreaterThan(7000);
    expect(decoded[2]).toBeCloseTo(decoded[10]!, -2);
  });

  it('marks A-law files as format 6', () => {
    expect(g711Wav({ codec: 'PCMA', seconds: 0.1 }).readUInt16LE(20)).toBe(6);
  });
});
