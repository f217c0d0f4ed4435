"""Speech to text on the device: audio in, voice activity (the TFLite VAD), engines (Whisper, Vosk), streaming."""
